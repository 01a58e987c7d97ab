"""Batched GD for MIMO linear RNN students (m inputs, p outputs; claim C13).

`h_t = A h_{t-1} + B x_t`, `y = C h_k`, A (d×d), B (d×m), C (p×d); Markov parameters
`G_j = C A^j B` (p×m); population loss on length-k iid N(0, I_m) inputs
`L_k = Σ_{j<k} ‖G_j - Ŵ_j‖_F²`. With `R_j = G_j - Ŵ_j`, `U_j = A^j B`, `V_j = (Aᵀ)^j Cᵀ`:
`∇B = 2 Σ_j V_j R_j`, `∇C = 2 Σ_j R_j U_jᵀ`, `∇A = 2 Σ_{t+s+1<k} V_t R_{t+s+1} U_sᵀ`
(proofs/theory.md §2 with matrices in place of scalars). Init: entries N(0, σ²/d).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from theory_check._validate import check_array, check_int, check_real
from theory_check.train.linear import EXPLODE_FACTOR

__all__ = ["MimoResult", "MimoStudent", "batched_loss_gradient_mimo", "block_hankel_rank",
           "mimo_impulse_response", "train_mimo"]


def mimo_impulse_response(A: np.ndarray, B: np.ndarray, C: np.ndarray, n: int) -> np.ndarray:
    """`G_j = C_s A_s^j B_s`, j < n, for S students: A (S,d,d), B (S,d,m), C (S,p,d) → (S,n,p,m)."""
    S, p = C.shape[0], C.shape[1]
    m = B.shape[2]
    G = np.empty((S, n, p, m))
    U = B.copy()
    with np.errstate(all="ignore"):
        for j in range(n):
            G[:, j] = C @ U
            U = A @ U
    return G


def batched_loss_gradient_mimo(A: np.ndarray, B: np.ndarray, C: np.ndarray, w: np.ndarray
                               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(L_k, ∇A, ∇B, ∇C) for S MIMO students (see the module doc); w has shape (k, p, m)."""
    k = w.shape[0]
    U = [B]
    V = [np.transpose(C, (0, 2, 1))]
    At = np.transpose(A, (0, 2, 1))
    for _ in range(1, k):
        U.append(A @ U[-1])
        V.append(At @ V[-1])
    R = [C @ U[j] - w[j] for j in range(k)]
    L = sum(np.sum(r**2, axis=(1, 2)) for r in R)
    dB = 2.0 * sum(V[j] @ R[j] for j in range(k))
    dC = 2.0 * sum(R[j] @ np.transpose(U[j], (0, 2, 1)) for j in range(k))
    dA = np.zeros_like(A)
    for t in range(k - 1):
        X = sum(R[t + s + 1] @ np.transpose(U[s], (0, 2, 1)) for s in range(k - 1 - t))
        dA += V[t] @ X
    return L, 2.0 * dA, dB, dC


def block_hankel_rank(G: np.ndarray, rtol: float = 1e-6) -> tuple[int, np.ndarray]:
    """Numerical rank of the block Hankel matrix `[G_{i+j}]` (n×n blocks, n = ⌊len/2⌋) of
    Markov parameters G (len, p, m): #{s_i > rtol·s_1} (= minimal realization order)."""
    n = G.shape[0] // 2
    p, m = G.shape[1], G.shape[2]
    H = np.block([[G[i + j] for j in range(n)] for i in range(n)]).reshape(n * p, n * m)
    s = np.linalg.svd(H, compute_uv=False)
    return (int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0), s


@dataclass(frozen=True, eq=False)
class MimoStudent:
    """One trained MIMO student: status, L_k, E_q = max_{j<q} max|G_j - Ŵ_j| (and / max|Ŵ_0|),
    block-Hankel effective dimension, balancedness ‖B - Cᵀ‖/‖B‖, and its final parameters."""

    seed: int
    status: str
    train_loss: float
    extrapolation_error: float
    extrapolation_error_rel: float
    effective_dim: int
    B_minus_Ct_rel: float
    steps: int
    A: np.ndarray = field(repr=False)
    B: np.ndarray = field(repr=False)
    C: np.ndarray = field(repr=False)


@dataclass(frozen=True, eq=False)
class MimoResult:
    """Students trained by `train_mimo` and the settings used."""

    students: tuple[MimoStudent, ...]
    settings: dict


def train_mimo(targets: np.ndarray, *, d: int, k: int, init_scale: float, seeds: Sequence[int],
               lr: float, steps: int, loss_tol: float = 1e-12, rank_rtol: float = 1e-6
               ) -> MimoResult:
    """Train one MIMO student per seed by batched GD on L_k against Markov parameters
    `targets` (q, p, m) (q ≥ k; the extrapolation horizon is q). A student stops as
    `converged` at L_k ≤ `loss_tol`, `diverged` when its loss is non-finite or exceeds
    `EXPLODE_FACTOR · max(L_k(θ_0), Σ‖Ŵ_j‖², 1)`, else `max_steps`."""
    w_all = check_array("targets", targets)
    if w_all.ndim != 3:
        raise ValueError(f"targets must have shape (q, p, m); got {w_all.shape}")
    q, p, m = w_all.shape
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1, maximum=q)
    sigma = check_real("init_scale", init_scale, minimum=0.0)
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    steps = check_int("steps", steps, minimum=0)
    seeds = [check_int("seeds[]", s, minimum=0) for s in seeds]
    w = w_all[:k]
    S = len(seeds)
    s = sigma / np.sqrt(d)
    A, B, C = np.empty((S, d, d)), np.empty((S, d, m)), np.empty((S, p, d))
    for i, seed in enumerate(seeds):
        g = np.random.default_rng(seed)
        A[i], B[i], C[i] = (s * g.standard_normal((d, d)), s * g.standard_normal((d, m)),
                            s * g.standard_normal((p, d)))
    status = np.array(["max_steps"] * S, dtype=object)
    taken = np.full(S, steps)
    active = np.ones(S, dtype=bool)
    with np.errstate(all="ignore"):
        L0 = batched_loss_gradient_mimo(A, B, C, w)[0]
    ceiling = EXPLODE_FACTOR * np.maximum(np.maximum(np.nan_to_num(L0, nan=np.inf),
                                                     float(np.sum(w**2))), 1.0)
    loss = L0
    for step in range(steps + 1):
        with np.errstate(all="ignore"):
            loss, dA, dB, dC = batched_loss_gradient_mimo(A, B, C, w)
        bad = active & (~np.isfinite(loss) | (loss > ceiling))
        status[bad], taken[bad] = "diverged", step
        done = active & ~bad & (loss <= loss_tol)
        status[done], taken[done] = "converged", step
        active &= ~(bad | done)
        if step == steps or not active.any():
            break
        eta = np.where(active, lr, 0.0)
        A -= eta[:, None, None] * dA
        B -= eta[:, None, None] * dB
        C -= eta[:, None, None] * dC
    G = mimo_impulse_response(A, B, C, q)
    scale = float(np.max(np.abs(w_all[0]))) or 1.0
    students = []
    for i, seed in enumerate(seeds):
        fin = bool(np.all(np.isfinite(G[i])))
        err = float(np.max(np.abs(G[i] - w_all))) if fin else float("inf")
        dim = block_hankel_rank(G[i], rank_rtol)[0] if fin else 0
        nb = float(np.linalg.norm(B[i]))
        students.append(MimoStudent(
            seed=seed, status=str(status[i]), train_loss=float(loss[i]), extrapolation_error=err,
            extrapolation_error_rel=err / scale, effective_dim=dim,
            B_minus_Ct_rel=float(np.linalg.norm(B[i] - C[i].T)) / nb if nb > 0 and B[i].shape
            == C[i].T.shape else float("nan"),
            steps=int(taken[i]), A=A[i].copy(), B=B[i].copy(), C=C[i].copy()))
    settings = {"d": d, "k": k, "m": m, "p": p, "init_scale": sigma, "seeds": seeds, "lr": lr,
                "steps": steps, "loss_tol": loss_tol, "horizon": q, "rank_rtol": rank_rtol,
                "init_law": "entries N(0, σ²/d)"}
    return MimoResult(tuple(students), settings)
