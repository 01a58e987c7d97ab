"""Batched GD for complex-diagonal linear RNN students (claim C12, oscillating memory).

Model (shared with the symbolic engine): per mode λ_i = x_i + i·y_i, b_i = u_i + i·v_i,
c_i = p_i + i·q_i, parameters ordered (x, y, u, v, p, q), output `g_j = Re Σ_i c_i λ_i^j b_i`
(`theory_check.model.complex_diagonal_impulse_response`). Loss `L_k = Σ_{j<k} (g_j - ŵ_j)²`.
With `z_ij = c_i b_i λ_i^j` and `r_j = g_j - ŵ_j` (all derivatives are real parts of complex
ones because g is the real part of a holomorphic function of λ, b, c):
`∂g_j/∂x = Re(j c b λ^{j-1})`, `∂g_j/∂y = -Im(j c b λ^{j-1})`, `∂g_j/∂u = Re(c λ^j)`,
`∂g_j/∂v = -Im(c λ^j)`, `∂g_j/∂p = Re(b λ^j)`, `∂g_j/∂q = -Im(b λ^j)`, `∇L = 2 Σ_j r_j ∇g_j`.
Init: all 6d entries N(0, σ²/d).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from theory_check._validate import check_array, check_int, check_real
from theory_check.model import complex_diagonal_impulse_response, effective_state_dim
from theory_check.train.linear import EXPLODE_FACTOR

__all__ = ["ComplexDiagonalResult", "ComplexDiagonalStudent", "complex_diagonal_loss_gradient",
           "train_complex_diagonal"]


def complex_diagonal_loss_gradient(theta: np.ndarray, w: np.ndarray
                                   ) -> tuple[np.ndarray, np.ndarray]:
    """(L_k (S,), ∇L (S, 6, d)) for S complex-diagonal students θ (S, 6, d); k = len(w)."""
    k = w.shape[0]
    lam = theta[:, 0] + 1j * theta[:, 1]
    b = theta[:, 2] + 1j * theta[:, 3]
    c = theta[:, 4] + 1j * theta[:, 5]
    S, d = lam.shape
    P = np.empty((S, d, k), dtype=complex)  # λ^j
    P[:, :, 0] = 1.0
    for j in range(1, k):
        P[:, :, j] = P[:, :, j - 1] * lam
    g = np.real(np.einsum("si,sij->sj", c * b, P))
    r = g - w
    Pr = np.einsum("sij,sj->si", P, r)  # Σ_j r_j λ^j
    jr = r[:, 1:] * np.arange(1, k)
    dlam = c * b * np.einsum("sij,sj->si", P[:, :, : k - 1], jr) if k > 1 else np.zeros_like(lam)
    db, dc = c * Pr, b * Pr
    grad = 2.0 * np.stack([dlam.real, -dlam.imag, db.real, -db.imag, dc.real, -dc.imag], axis=1)
    return np.einsum("sj,sj->s", r, r), grad


@dataclass(frozen=True, eq=False)
class ComplexDiagonalStudent:
    """One trained complex-diagonal student: status, L_k, E_q (and / |ŵ_0|), the Hankel rank of
    g_0 … g_{q-1}, the modes with |c_i b_i| above 1e-6 of the largest, and θ."""

    seed: int
    status: str
    train_loss: float
    extrapolation_error: float
    extrapolation_error_rel: float
    effective_dim: int
    modes: tuple[complex, ...]
    steps: int
    impulse_response: np.ndarray = field(repr=False)
    theta: np.ndarray = field(repr=False)


@dataclass(frozen=True, eq=False)
class ComplexDiagonalResult:
    students: tuple[ComplexDiagonalStudent, ...]
    settings: dict


def train_complex_diagonal(targets: np.ndarray, *, d: int, k: int, init_scale: float,
                           seeds: Sequence[int], lr: float, steps: int, loss_tol: float = 1e-12,
                           rank_rtol: float = 1e-4) -> ComplexDiagonalResult:
    """Train one complex-diagonal student (d modes) per seed by batched GD on L_k against
    targets ŵ_0 … ŵ_{q-1} (q ≥ k is the extrapolation horizon). Statuses as `train_linear`."""
    w_all = check_array("targets", targets)
    if w_all.ndim != 1:
        raise ValueError(f"targets must be 1-D Markov parameters; got shape {w_all.shape}")
    q = w_all.size
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1, maximum=q)
    sigma = check_real("init_scale", init_scale, minimum=0.0)
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    steps = check_int("steps", steps, minimum=0)
    seeds = [check_int("seeds[]", s, minimum=0) for s in seeds]
    w = w_all[:k]
    theta = np.stack([sigma / np.sqrt(d) * np.random.default_rng(s).standard_normal((6, d))
                      for s in seeds])
    S = len(seeds)
    status = np.array(["max_steps"] * S, dtype=object)
    taken = np.full(S, steps)
    active = np.ones(S, dtype=bool)
    with np.errstate(all="ignore"):
        L0 = complex_diagonal_loss_gradient(theta, w)[0]
    ceiling = EXPLODE_FACTOR * np.maximum(np.maximum(np.nan_to_num(L0, nan=np.inf), w @ w), 1.0)
    for step in range(steps + 1):
        with np.errstate(all="ignore"):
            loss, grad = complex_diagonal_loss_gradient(theta, w)
        bad = active & (~np.isfinite(loss) | (loss > ceiling))
        status[bad], taken[bad] = "diverged", step
        done = active & ~bad & (loss <= loss_tol)
        status[done], taken[done] = "converged", step
        active &= ~(bad | done)
        if step == steps or not active.any():
            break
        theta -= np.where(active, lr, 0.0)[:, None, None] * grad
    G = complex_diagonal_impulse_response(theta, q)
    scale = abs(float(w_all[0])) or 1.0
    students = []
    for i, seed in enumerate(seeds):
        g = G[i]
        fin = bool(np.all(np.isfinite(g)))
        err = float(np.max(np.abs(g - w_all))) if fin else float("inf")
        dim = effective_state_dim(g, rtol=rank_rtol).dim if fin and np.any(g) else 0
        lam = theta[i, 0] + 1j * theta[i, 1]
        wt = np.abs((theta[i, 4] + 1j * theta[i, 5]) * (theta[i, 2] + 1j * theta[i, 3]))
        keep = wt > 1e-6 * wt.max() if wt.max() > 0 else np.zeros(d, dtype=bool)
        students.append(ComplexDiagonalStudent(
            seed=seed, status=str(status[i]), train_loss=float(loss[i]), extrapolation_error=err,
            extrapolation_error_rel=err / scale, effective_dim=dim,
            modes=tuple(complex(z) for z in lam[keep]), steps=int(taken[i]),
            impulse_response=g.copy(), theta=theta[i].copy()))
    return ComplexDiagonalResult(tuple(students), {
        "d": d, "k": k, "init_scale": sigma, "seeds": seeds, "lr": lr, "steps": steps,
        "loss_tol": loss_tol, "horizon": q, "rank_rtol": rank_rtol,
        "init_law": "all 6d real parameters N(0, σ²/d)",
        "model": "g_j = Re Σ_i (p_i + i q_i)(x_i + i y_i)^j (u_i + i v_i)"})
