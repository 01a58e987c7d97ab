"""Batched full-batch GD for tanh RNN students (proofs/theory.md claim C10), with hand-derived BPTT.

Student: `h_t = tanh(W h_{t-1} + U x_t + b)`, `h_0 = 0`, `y = C h_k + c` (biases b, c optional),
W ∈ R^{d×d}, U ∈ R^d (scalar input), C ∈ R^d. Init: every entry N(0, σ²/d), σ = `init_scale`
(biases start at 0). Training set: N sequences of length k with iid inputs N(0, s_x²); loss
`L = (1/N) Σ_n (y_n - ŷ_n)²` against a teacher (a linear RNN, `ŷ = Σ_t ŵ_{k-t} x_t`, or a
small tanh RNN). Plain full-batch GD with step η and per-student gradient-norm clipping.

All S students are trained at once on the same training set (batched matmuls over the student
axis); each has its own seed for the init, and stops on its own (loss ≤ `loss_tol`, or a
non-finite / exploding loss, marked `diverged` with the step).

Metrics on fresh sequences of length q ≫ k: the root-mean-square output error at length q
(absolute, and relative to the RMS of the teacher's output at length q), the largest relative
error over the lengths 1 … q, and the effective state dimension of the hidden-state matrix
`H = [h_t(x^(n))]` (rows over t ≤ q and test sequences n, centred): its singular values
s_i, the participation ratio `(Σ s_i²)² / Σ s_i⁴`, and the numerical rank #{s_i > rtol·s_1}.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theory_check._validate import check_array, check_int, check_real
from theory_check.model import LinearRNN
from theory_check.results import NotebookRepr

__all__ = [
    "TanhRNN",
    "TanhStudentMetrics",
    "TanhTrainResult",
    "hidden_state_dim",
    "tanh_gradients",
    "tanh_loss",
    "teacher_outputs",
    "train_tanh",
]

# A student whose loss exceeds this (or is not finite) has left every sensible region.
_EXPLODE = 1e12


@dataclass(frozen=True, eq=False)
class TanhRNN:
    """A tanh RNN `h_t = tanh(W h_{t-1} + U x_t + b)`, `y_t = C h_t + c`, scalar input and output."""

    W: np.ndarray
    U: np.ndarray
    C: np.ndarray
    b: np.ndarray | None = None
    c: float = 0.0

    def __post_init__(self) -> None:
        W = check_array("W", self.W)
        if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
            raise ValueError(f"W must be a square d×d array with d >= 1; got shape {W.shape}")
        d = W.shape[0]
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "U", check_array("U", np.ravel(self.U), (d,)))
        object.__setattr__(self, "C", check_array("C", np.ravel(self.C), (d,)))
        b = np.zeros(d) if self.b is None else check_array("b", np.ravel(self.b), (d,))
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c", check_real("c", float(self.c)))

    @property
    def d(self) -> int:
        """State dimension d."""
        return int(self.W.shape[0])

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """Outputs `y_t = C h_t + c` after every prefix: X (N, L) → (N, L)."""
        return _forward_all(self.W[None], self.U[None], self.b[None], X)[0] @ self.C + self.c

    def hidden_states(self, X: np.ndarray) -> np.ndarray:
        """Hidden states h_1 … h_L for inputs X (N, L): shape (N, L, d)."""
        return _forward_all(self.W[None], self.U[None], self.b[None], X)[0]


def teacher_outputs(teacher: LinearRNN | TanhRNN, X: np.ndarray) -> np.ndarray:
    """Teacher outputs after every prefix of X (N, L): `ŷ_t = Σ_{s≤t} ŵ_{t-s} x_s` for a linear RNN."""
    if isinstance(teacher, TanhRNN):
        return teacher.outputs(X)
    if not isinstance(teacher, LinearRNN):
        raise ValueError(f"teacher must be a LinearRNN or a TanhRNN; got {type(teacher).__name__}")
    N, L = X.shape
    h = np.zeros((N, teacher.d))
    out = np.empty((N, L))
    for t in range(L):
        h = h @ teacher.A.T + X[:, t, None] * teacher.B[:, 0]
        out[:, t] = h @ teacher.C[0]
    return out


def _forward_all(W: np.ndarray, U: np.ndarray, b: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Hidden states of S students on shared inputs X (N, L): H of shape (S, N, L, d)."""
    S, d = U.shape
    N, L = X.shape
    H = np.empty((S, N, L, d))
    h = np.zeros((S, N, d))
    Wt = np.transpose(W, (0, 2, 1))
    for t in range(L):
        h = np.tanh(h @ Wt + X[None, :, t, None] * U[:, None, :] + b[:, None, :])
        H[:, :, t] = h
    return H


def tanh_loss(W: np.ndarray, U: np.ndarray, C: np.ndarray, b: np.ndarray, c: np.ndarray,
              X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-student loss `(1/N) Σ_n (C h_k(x^(n)) + c - ŷ_n)²` for S students: shapes (S,d,d), (S,d),
    (S,d), (S,d), (S,), X (N,k), y (N,) → (S,)."""
    return tanh_gradients(W, U, C, b, c, X, y, grad=False)[0]


def tanh_gradients(W: np.ndarray, U: np.ndarray, C: np.ndarray, b: np.ndarray, c: np.ndarray,
                   X: np.ndarray, y: np.ndarray, *, grad: bool = True
                   ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
    """Loss and its gradient by backpropagation through time, batched over S students.

    Forward: `z_t = W h_{t-1} + U x_t + b`, `h_t = tanh z_t`, `r_n = C h_k + c - ŷ_n`.
    Backward with `δh_k = (2/N) r Cᵀ`, `δz_t = δh_t ⊙ (1 - h_t²)`, `δh_{t-1} = Wᵀ δz_t`:
    `∂L/∂W = Σ_t δz_t h_{t-1}ᵀ`, `∂L/∂U = Σ_t δz_t x_t`, `∂L/∂b = Σ_t δz_t`,
    `∂L/∂C = (2/N) Σ_n r_n h_k`, `∂L/∂c = (2/N) Σ_n r_n` (sums over n implied).
    Returns (loss (S,), (dW, dU, dC, db, dc) or None).
    """
    S, d = U.shape
    N, k = X.shape
    Hs = np.empty((k + 1, S, N, d))
    Hs[0] = 0.0
    Wt = np.transpose(W, (0, 2, 1))
    for t in range(k):
        Hs[t + 1] = np.tanh(Hs[t] @ Wt + X[None, :, t, None] * U[:, None, :] + b[:, None, :])
    hk = Hs[k]
    r = np.einsum("snd,sd->sn", hk, C) + c[:, None] - y[None, :]
    loss = np.einsum("sn,sn->s", r, r) / N
    if not grad:
        return loss, None
    dy = (2.0 / N) * r
    dC = np.einsum("sn,snd->sd", dy, hk)
    dc = dy.sum(axis=1)
    dh = dy[:, :, None] * C[:, None, :]
    dW = np.zeros_like(W)
    dU = np.zeros_like(U)
    db = np.zeros_like(b)
    for t in range(k, 0, -1):
        dz = dh * (1.0 - Hs[t] ** 2)
        dW += np.transpose(dz, (0, 2, 1)) @ Hs[t - 1]
        dU += np.einsum("snd,n->sd", dz, X[:, t - 1])
        db += dz.sum(axis=1)
        dh = dz @ W
    return loss, (dW, dU, dC, db, dc)


def hidden_state_dim(H: np.ndarray, rtol: float = 1e-2) -> tuple[float, int, np.ndarray]:
    """(participation ratio, numerical rank, singular values) of the centred hidden-state matrix.

    H: (..., d), flattened to rows. With singular values s_i: PR = `(Σ s_i²)² / Σ s_i⁴` (between 1
    and d; = r for r equal directions), rank = #{s_i > rtol · s_1}.
    """
    M = H.reshape(-1, H.shape[-1])
    M = M - M.mean(axis=0)
    s = np.linalg.svd(M, compute_uv=False)
    p = s**2
    total = float(p.sum())
    if not np.isfinite(total) or total == 0.0:
        return float("nan"), 0, s
    pr = total**2 / float(np.sum(p**2))
    return pr, int(np.sum(s > rtol * s[0])), s


@dataclass(frozen=True)
class TanhStudentMetrics(NotebookRepr):
    """Final metrics of one trained tanh student (JSON keys as the linear trainer's, plus extras).

    `extrapolation_error` is the RMS output error at length q = `horizon`; `_rel` divides by the
    RMS teacher output at length q; `max_rel_error_upto_horizon` is the largest relative error
    over lengths 1 … q. `effective_dim` is the numerical rank of the centred hidden-state matrix
    at `rank_rtol`, `participation_ratio` its scale-free counterpart. `B_minus_Ct_rel` =
    ‖U - C‖/‖U‖ and `A_asym_rel` = ‖W - Wᵀ‖/‖W‖, the tanh analogues of balancedness.
    `learned_atoms` / `learned_weights` are None: a tanh RNN has no moment measure.
    """

    seed: int
    status: str
    train_loss: float
    train_loss_rel: float
    extrapolation_error: float
    extrapolation_error_rel: float
    max_rel_error_upto_horizon: float
    horizon: int
    B_minus_Ct_rel: float
    A_asym_rel: float
    effective_dim: int
    participation_ratio: float
    hidden_singular_values: tuple[float, ...]
    rank_rtol: float
    steps: int
    diverged_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict: the linear trainer's keys (atoms/weights None) plus the tanh extras.

        Non-finite numbers (a diverged student) become the strings "nan" / "inf"."""
        return {
            "seed": self.seed, "status": self.status, "train_loss": _num(self.train_loss),
            "extrapolation_error": _num(self.extrapolation_error),
            "extrapolation_error_rel": _num(self.extrapolation_error_rel), "horizon": self.horizon,
            "B_minus_Ct_rel": _num(self.B_minus_Ct_rel), "A_asym_rel": _num(self.A_asym_rel),
            "effective_dim": self.effective_dim, "learned_atoms": None, "learned_weights": None,
            "steps": self.steps, "model": "tanh", "train_loss_rel": _num(self.train_loss_rel),
            "max_rel_error_upto_horizon": _num(self.max_rel_error_upto_horizon),
            "participation_ratio": _num(self.participation_ratio),
            "hidden_singular_values": [_num(v) for v in self.hidden_singular_values],
            "rank_rtol": self.rank_rtol, "diverged_at": self.diverged_at,
        }


@dataclass(frozen=True)
class TanhTrainResult(NotebookRepr):
    """Students trained together: their metrics, final networks, loss histories and settings."""

    students: tuple[TanhStudentMetrics, ...]
    models: tuple[TanhRNN | None, ...]  # None for a student that diverged to non-finite values
    loss_history: np.ndarray  # (n_records, S); rows at steps `history_steps`
    history_steps: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)


def _num(x: float) -> float | str:
    v = float(x)
    return v if np.isfinite(v) else str(v)


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return list(range(check_int("seeds", int(seeds), minimum=1)))
    out = [check_int("seed", s, minimum=0) for s in seeds]
    if not out:
        raise ValueError("seeds must be a count >= 1 or a non-empty list of seeds >= 0")
    return out


def train_tanh(
    teacher: LinearRNN | TanhRNN, *, d: int, k: int, init_scale: float,
    seeds: int | Sequence[int] = 1, lr: float = 0.03, steps: int = 7500, clip: float = 5.0,
    n_train: int = 1000, input_std: float = 0.3, bias: bool = False, loss_tol: float = 1e-12,
    horizon: int | None = None, n_test: int = 200, rank_rtol: float = 1e-2,
    data_seed: int = 0, record_every: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> TanhTrainResult:
    """Train tanh RNN students (one per seed) by full-batch GD with clipping; see the module doc.

    `seeds`: a count S (seeds 0 … S-1) or a list; each seeds its student's init. The training
    and test inputs come from `data_seed` only, so students with different seeds (or in
    different sweep tasks) see the same data. `clip` bounds each student's gradient norm
    (0 = no clipping). `horizon` q defaults to max(10k, 100). `record_every > 0` records the
    training loss every that many steps. `progress(step, n_active)` is called about 100 times
    along the run (for a progress bar).
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1)
    sigma = check_real("init_scale", init_scale, minimum=0.0)
    seed_list = _seeds(seeds)
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    steps = check_int("steps", steps, minimum=0)
    clip = check_real("clip", clip, minimum=0.0)
    n_train = check_int("n_train", n_train, minimum=1)
    input_std = check_real("input_std", input_std, minimum=0.0, strict_min=True)
    loss_tol = check_real("loss_tol", loss_tol, minimum=0.0)
    q = max(10 * k, 100) if horizon is None else check_int("horizon", horizon, minimum=1)
    n_test = check_int("n_test", n_test, minimum=1)
    rank_rtol = check_real("rank_rtol", rank_rtol, minimum=0.0, maximum=1.0, strict_min=True)
    record_every = check_int("record_every", record_every, minimum=0)
    if not isinstance(teacher, (LinearRNN, TanhRNN)):
        raise ValueError(f"teacher must be a LinearRNN or a TanhRNN; got {type(teacher).__name__}")

    data = np.random.default_rng(data_seed)
    X = input_std * data.standard_normal((n_train, k))
    y = teacher_outputs(teacher, X)[:, -1]
    X_test = input_std * data.standard_normal((n_test, q))
    y_test = teacher_outputs(teacher, X_test)

    S = len(seed_list)
    s = sigma / np.sqrt(d)
    W, U, C = np.empty((S, d, d)), np.empty((S, d)), np.empty((S, d))
    for i, seed in enumerate(seed_list):
        g = np.random.default_rng(seed)
        W[i], U[i], C[i] = (s * g.standard_normal((d, d)), s * g.standard_normal(d),
                            s * g.standard_normal(d))
    b, c = np.zeros((S, d)), np.zeros(S)

    active = np.ones(S, dtype=bool)
    status = np.array(["max_steps"] * S, dtype=object)
    taken = np.full(S, steps)
    diverged_at: list[int | None] = [None] * S
    history, hist_steps = [], []
    tick = max(1, steps // 100)
    with np.errstate(all="ignore"):
        for step in range(steps + 1):
            loss, grads = tanh_gradients(W, U, C, b, c, X, y, grad=step < steps)
            if record_every and step % record_every == 0:
                history.append(np.where(active, loss, np.nan))
                hist_steps.append(step)
            bad = active & ~(np.isfinite(loss) & (loss < _EXPLODE))
            for i in np.flatnonzero(bad):
                status[i], taken[i], diverged_at[i] = "diverged", step, step
            done = active & ~bad & (loss <= loss_tol)
            for i in np.flatnonzero(done):
                status[i], taken[i] = "converged", step
            active &= ~(bad | done)
            if progress is not None and step % tick == 0:
                progress(step, int(active.sum()))
            if step == steps or not active.any():
                break
            dW, dU, dC, db, dc = grads  # type: ignore[misc]
            norm = np.sqrt(np.sum(dW**2, axis=(1, 2)) + np.sum(dU**2, axis=1)
                           + np.sum(dC**2, axis=1)
                           + (np.sum(db**2, axis=1) + dc**2 if bias else 0.0))
            factor = np.ones(S) if clip == 0 else np.minimum(1.0, clip / np.maximum(norm, 1e-300))
            eta = np.where(active, lr * factor, 0.0)
            W -= eta[:, None, None] * dW
            U -= eta[:, None] * dU
            C -= eta[:, None] * dC
            if bias:
                b -= eta[:, None] * db
                c -= eta * dc

    final_loss = tanh_loss(W, U, C, b, c, X, y)
    H = _forward_all(W, U, b, X_test)
    out_test = np.einsum("sntd,sd->snt", H, C) + c[:, None, None]
    rms_teacher = np.sqrt(np.mean(y_test**2, axis=0))  # (q,)
    rms_err = np.sqrt(np.mean((out_test - y_test[None]) ** 2, axis=1))  # (S, q)
    var_y = float(np.mean(y**2))
    students, models = [], []
    for i, seed in enumerate(seed_list):
        finite = bool(np.all(np.isfinite(W[i])) and np.all(np.isfinite(H[i])))
        pr, rank, sv = hidden_state_dim(H[i], rank_rtol) if finite else (np.nan, 0, np.array([]))
        nW, nU = float(np.linalg.norm(W[i])), float(np.linalg.norm(U[i]))
        students.append(TanhStudentMetrics(
            seed=seed, status=str(status[i]), train_loss=float(final_loss[i]),
            train_loss_rel=float(final_loss[i]) / var_y if var_y > 0 else float("nan"),
            extrapolation_error=float(rms_err[i, -1]),
            extrapolation_error_rel=float(rms_err[i, -1] / rms_teacher[-1]),
            max_rel_error_upto_horizon=float(np.max(rms_err[i] / rms_teacher)),
            horizon=q,
            B_minus_Ct_rel=float(np.linalg.norm(U[i] - C[i])) / max(nU, 1e-300),
            A_asym_rel=float(np.linalg.norm(W[i] - W[i].T)) / max(nW, 1e-300),
            effective_dim=rank, participation_ratio=float(pr),
            hidden_singular_values=tuple(float(v) for v in sv), rank_rtol=rank_rtol,
            steps=int(taken[i]), diverged_at=diverged_at[i],
        ))
        models.append(TanhRNN(W[i].copy(), U[i].copy(), C[i].copy(), b[i].copy(), float(c[i]))
                      if finite else None)
    params = {"d": d, "k": k, "init_scale": sigma, "seeds": seed_list, "lr": lr, "steps": steps,
              "clip": clip, "n_train": n_train, "input_std": input_std, "bias": bias,
              "loss_tol": loss_tol, "horizon": q, "n_test": n_test, "rank_rtol": rank_rtol,
              "data_seed": data_seed, "init": "entries N(0, σ²/d), biases 0",
              "teacher": _describe(teacher)}
    return TanhTrainResult(tuple(students), tuple(models),
                           np.array(history).reshape(len(history), S), np.array(hist_steps), params)


def _describe(teacher: LinearRNN | TanhRNN) -> dict[str, Any]:
    if isinstance(teacher, TanhRNN):
        return {"kind": "tanh", "W": teacher.W.tolist(), "U": teacher.U.tolist(),
                "C": teacher.C.tolist()}
    return {"kind": "linear", "A": teacher.A.tolist(), "B": teacher.B.ravel().tolist(),
            "C": teacher.C.ravel().tolist()}
