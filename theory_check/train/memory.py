"""Memory of a trained student: decay rate and tail mass of its impulse response (claim C14).

The short-memory contrast (Emami et al. 2021 vs this paper): one long-memory teacher
`ŵ_j = λ̂^j` (λ̂ = 0.99: memory ~ 1/(1-λ̂) = 100 steps), students trained by batched GD on
L_k from a small and a large init, for several k. For each student the learned response
beyond the training window j ∈ [k, q) is summarised by

- its *decay rate* ρ: `log|g_j| ≈ a + j log ρ` by least squares over j ∈ [k, q) (ρ = λ̂ for the
  teacher; ρ < λ̂ is shorter memory, ρ > 1 a growing response);
- its *memory tail* T = `Σ_{j=k}^{q-1} |g_j| / Σ_{j=k}^{q-1} |ŵ_j|` (1 for the teacher; T ≪ 1:
  the student forgets what the teacher remembers);
- E_q/|ŵ_0| as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theory_check._validate import check_int, check_real
from theory_check.train.linear import LinearTrainResult, batched_impulse_response, train_linear

__all__ = ["MemoryRow", "decay_rate", "memory_contrast", "memory_tail"]


def decay_rate(g: np.ndarray, start: int) -> float:
    """ρ with `log|g_j| ≈ a + j log ρ` (least squares over j ≥ start with g_j ≠ 0); NaN if < 2 points
    or non-finite."""
    g = np.asarray(g, dtype=float)
    j = np.arange(start, g.size)
    tail = np.abs(g[start:])
    keep = (tail > 0) & np.isfinite(tail)
    if keep.sum() < 2:
        return float("nan")
    return float(np.exp(np.polyfit(j[keep], np.log(tail[keep]), 1)[0]))


def memory_tail(g: np.ndarray, w: np.ndarray, start: int) -> float:
    """`T = Σ_{j≥start} |g_j| / Σ_{j≥start} |ŵ_j|` over the common length of g and ŵ."""
    n = min(len(g), len(w))
    den = float(np.sum(np.abs(w[start:n])))
    return float(np.sum(np.abs(g[start:n]))) / den if den > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class MemoryRow:
    """The students trained at one (k, σ): their results and memory summaries (one per seed)."""

    k: int
    init_scale: float
    result: LinearTrainResult
    decay_rate: tuple[float, ...]
    memory_tail: tuple[float, ...]
    extrapolation_error_rel: tuple[float, ...]
    train_loss: tuple[float, ...]


def memory_contrast(teacher_atom: float = 0.99, *, d: int, ks: Sequence[int],
                    init_scales: Sequence[float], seeds: Sequence[int], steps: int,
                    loss_tol: float, horizon: int) -> tuple[np.ndarray, list[MemoryRow]]:
    """Train students on `ŵ_j = λ̂^j` for every k in `ks` and σ in `init_scales` (same seeds);
    return (ŵ_0 … ŵ_{q-1}, rows in the order (k, σ)). Default step, full parameterization."""
    lam = check_real("teacher_atom", teacher_atom, minimum=-1.0, maximum=1.0)
    q = check_int("horizon", horizon, minimum=2)
    w = batched_impulse_response(np.array([[[lam]]]), np.ones((1, 1)), np.ones((1, 1)), q)[0]
    rows = []
    for k in ks:
        k = check_int("ks[]", k, minimum=1, maximum=q - 2)
        for sigma in init_scales:
            res = train_linear(w, d=d, k=k, init_scale=sigma, seeds=seeds, steps=steps,
                               loss_tol=loss_tol)
            rates, tails, errs, losses = [], [], [], []
            for m in res.students:
                g = m.impulse_response
                ok = m.status != "diverged" and g.size == q
                rates.append(decay_rate(g, k) if ok else float("nan"))
                tails.append(memory_tail(g, w, k) if ok else float("nan"))
                errs.append(float(m.extrapolation_error_rel) if ok and m.extrapolation_error_rel
                            is not None else float("inf"))
                losses.append(float(m.train_loss))
            rows.append(MemoryRow(k, float(sigma), res, tuple(rates), tuple(tails), tuple(errs),
                                  tuple(losses)))
    return w, rows
