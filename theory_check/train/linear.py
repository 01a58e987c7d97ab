"""Batched gradient descent for linear RNN students, with per-student metrics (proofs/theory.md C8, C9, N3).

S students `θ_s = (A_s, B_s, C_s)` of state dimension d are trained at once on the population
loss `L_k(θ) = Σ_{j<k} (g_j(θ) - ŵ_j)²`, `g_j = C A^j B`, by plain gradient descent
`θ ← θ - η ∇L_k(θ)`. All students share one array per parameter and every step is a handful of
batched matrix products (no Python loop over students). Gradients are analytic (proofs/theory.md §2):
with `r_j = g_j - ŵ_j`, `u_j = A^j B`, `v_j = (Aᵀ)^j Cᵀ`,
`∇C = 2 Σ_j r_j u_jᵀ`, `∇B = 2 Σ_j r_j v_j`, `∇A = 2 V R Uᵀ`, `R_pq = r_{p+q+1}` (0 if p+q+1 ≥ k).

Init convention: every entry of A, B, C is N(0, σ²/d) with σ = `init_scale`, drawn by
`theory_check.model.random_student(d, σ, seed, kind)` so that a student is reproducible from
its seed alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from theory_check._validate import check_array, check_choice, check_int, check_real
from theory_check.model import LinearRNN, effective_state_dim, minimal_realization, random_student
from theory_check.results import NotebookRepr

__all__ = [
    "INITS",
    "PARAMS",
    "STATUSES",
    "LinearTrainResult",
    "StudentMetrics",
    "TrainHistory",
    "batched_impulse_response",
    "batched_loss_gradient",
    "default_lr",
    "gd_step",
    "initial_parameters",
    "learned_subspace",
    "train_linear",
]

Param = Literal["full", "diagonal", "balanced", "balanced_diagonal"]
#: Parameterizations. `full`: A, B, C free. `diagonal`: A = diag(a), B, C free. `balanced`:
#: A = Aᵀ, B = Cᵀ (GD with the gradient projected on that manifold, which is the plain gradient
#: in exact arithmetic — C4 — so this is unconstrained GD from a balanced init with rounding kept
#: on the manifold). `balanced_diagonal`: A = diag(a), B = Cᵀ likewise.
PARAMS: tuple[str, ...] = ("full", "diagonal", "balanced", "balanced_diagonal")
STATUSES: tuple[str, ...] = ("converged", "max_steps", "diverged")
INITS: tuple[str, ...] = ("random", "balanced", "unbalanced")

#: A student is marked diverged when its loss is non-finite or exceeds this factor times
#: max(L_k at init, Σ ŵ_j², 1): GD with a stable step never climbs that far.
EXPLODE_FACTOR = 1e8
#: Default relative threshold on the Hankel singular values for the effective state dimension:
#: #{s_i > rank_rtol · s_1} (see `effective_state_dim`).
RANK_RTOL = 1e-4


@dataclass(frozen=True, eq=False)
class StudentMetrics(NotebookRepr):
    """Metrics of one trained student (proofs/theory.md §1 notation).

    `extrapolation_error` is `E_q = max_{j<q} |g_j - ŵ_j|`, q = `horizon`; `_rel` divides by |ŵ_0|.
    `B_minus_Ct_rel = ‖B - Cᵀ‖/‖B‖`, `A_asym_rel = ‖A - Aᵀ‖/‖A‖` (Frobenius). `effective_dim`
    is the numerical rank of the Hankel matrix of g_0 … g_{q-1} at `rank_rtol`, from
    `hankel_singular_values`; `learned_atoms`/`learned_weights` are the measure of the
    Ho–Kalman realization of that order (in JSON every entry is an [re, im] pair, also a real one). `steps` is
    the number of GD steps taken (for `diverged`, the step at which divergence was detected).
    For a diverged student the post-divergence metrics are None (no silent NaN). The rank is
    relative to the largest Hankel singular value, so a response dominated by one growing mode
    (|λ| > 1, large init) reads as low-dimensional: read it together with the error.
    """

    seed: int
    status: str
    train_loss: float
    extrapolation_error: float | None
    extrapolation_error_rel: float | None
    horizon: int
    B_minus_Ct_rel: float | None
    A_asym_rel: float | None
    effective_dim: int | None
    learned_atoms: tuple[Any, ...]
    learned_weights: tuple[Any, ...]
    steps: int
    hankel_singular_values: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    impulse_response: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    student: LinearRNN | None = field(repr=False, default=None)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of `theory-check train`: exactly the keys {seed, status, train_loss,
        extrapolation_error, extrapolation_error_rel, horizon, B_minus_Ct_rel, A_asym_rel,
        effective_dim, learned_atoms, learned_weights, steps}; non-finite floats as strings."""
        return {
            "seed": int(self.seed), "status": self.status, "train_loss": _num(self.train_loss),
            "extrapolation_error": _num(self.extrapolation_error),
            "extrapolation_error_rel": _num(self.extrapolation_error_rel),
            "horizon": int(self.horizon), "B_minus_Ct_rel": _num(self.B_minus_Ct_rel),
            "A_asym_rel": _num(self.A_asym_rel),
            "effective_dim": None if self.effective_dim is None else int(self.effective_dim),
            "learned_atoms": [_cnum(x) for x in self.learned_atoms],
            "learned_weights": [_cnum(x) for x in self.learned_weights],
            "steps": int(self.steps),
        }


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    v = float(x)
    return v if np.isfinite(v) else str(v)


def _cnum(x: Any) -> list[float | str | None]:
    # One convention for every entry, real or not: [re, im] (a real atom is [λ, 0.0]).
    z = complex(x)
    return [_num(z.real), _num(z.imag)]


@dataclass(frozen=True, eq=False)
class TrainHistory:
    """Loss and unbalancedness of every student at the recorded steps (row i ↔ `steps[i]`).

    Arrays have shape (n_records, S). A student that stopped (converged or diverged) keeps its
    last values; `active[i, s]` says whether student s was still training at `steps[i]`.
    """

    steps: np.ndarray
    loss: np.ndarray
    B_minus_Ct_rel: np.ndarray
    A_asym_rel: np.ndarray
    active: np.ndarray


@dataclass(frozen=True, eq=False)
class LinearTrainResult(NotebookRepr):
    """Students trained by `train_linear`: per-student metrics, optional history, settings."""

    students: tuple[StudentMetrics, ...]
    settings: dict[str, Any]
    history: TrainHistory | None = None

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON object per student (see `StudentMetrics.to_json`)."""
        return [s.to_json() for s in self.students]


# ---------------------------------------------------------------------------------------------
# Batched core (S students at once). Shapes: A (S,d,d), B (S,d), C (S,d), w (k,).
# ---------------------------------------------------------------------------------------------

def _matvec(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.matmul(A, x[..., None])[..., 0]


def batched_impulse_response(A: np.ndarray, B: np.ndarray, C: np.ndarray, n: int) -> np.ndarray:
    """`g_j = C_s A_s^j B_s` for j < n and every student s: shape (S, n)."""
    S = A.shape[0]
    g = np.empty((S, n))
    u = B.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n):
            g[:, j] = np.einsum("si,si->s", C, u)
            if j + 1 < n:
                u = _matvec(A, u)
    return g


def _hankel_index(k: int) -> np.ndarray:
    """Index p+q+1 into r padded with zeros (position ≥ k reads 0): R_pq = r_{p+q+1}."""
    idx = np.arange(k)[:, None] + np.arange(k)[None, :] + 1
    return np.minimum(idx, k)


def batched_loss_gradient(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, w: np.ndarray, *, diagonal: bool = False,
    tied: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Losses and gradients of `L_k = Σ_{j<k}(g_j - ŵ_j)²` for S students: (L, ∇A, ∇B, ∇C).

    Full A (S,d,d): `U = [u_0 … u_{k-1}]`, `V = [v_0 … v_{k-1}]` by k batched mat-vecs each,
    `∇A = 2 V R Uᵀ`, `∇B = 2 V r`, `∇C = 2 U r`. `diagonal=True`: A is given as its diagonal
    a (S,d) and `∇a_i = 2 Σ_j j r_j a_i^{j-1} b_i c_i` (= diag of the full formula). `tied=True`
    (B = Cᵀ on entry, A symmetric) uses v_j = u_j and skips the second recursion.
    """
    k = w.shape[0]
    S, d = B.shape
    if diagonal:
        # P[s, i, j] = a_i^j by cumulative products: d·k work instead of d²·k.
        P = np.empty((S, d, k))
        P[:, :, 0] = 1.0
        for j in range(1, k):
            P[:, :, j] = P[:, :, j - 1] * A
        bc = B * C
        g = np.einsum("si,sij->sj", bc, P)
        r = g - w
        Pr = np.einsum("sij,sj->si", P, r)
        dB = 2.0 * C * Pr
        dC = 2.0 * B * Pr
        jr = r[:, 1:] * np.arange(1, k)
        dA = 2.0 * bc * np.einsum("sij,sj->si", P[:, :, : k - 1], jr) if k > 1 else np.zeros_like(A)
        return np.einsum("sj,sj->s", r, r), dA, dB, dC
    U = np.empty((S, k, d))
    U[:, 0] = B
    for j in range(1, k):
        U[:, j] = _matvec(A, U[:, j - 1])
    if tied:
        V = U
    else:
        V = np.empty((S, k, d))
        V[:, 0] = C
        At = A.transpose(0, 2, 1)
        for j in range(1, k):
            V[:, j] = _matvec(At, V[:, j - 1])
    g = np.einsum("skd,sd->sk", U, C)
    r = g - w
    rp = np.concatenate([r, np.zeros((S, 1))], axis=1)
    R = rp[:, _hankel_index(k)]
    # ∇A = 2 Vᵀ_(k×d) R U_(k×d) with U, V stored as (S, k, d).
    dA = 2.0 * np.matmul(V.transpose(0, 2, 1), np.matmul(R, U))
    dB = 2.0 * np.einsum("skd,sk->sd", V, r)
    dC = 2.0 * np.einsum("skd,sk->sd", U, r)
    return np.einsum("sk,sk->s", r, r), dA, dB, dC


# ---------------------------------------------------------------------------------------------
# Step size
# ---------------------------------------------------------------------------------------------

def _teacher_realization(teacher: LinearRNN | np.ndarray, k: int) -> LinearRNN:
    if isinstance(teacher, LinearRNN):
        return teacher
    g = np.asarray(teacher, dtype=float)
    n = g.size if g.size % 2 == 0 else g.size - 1
    if n < 2 or not np.any(g[:n]):
        return LinearRNN(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)))
    return minimal_realization(g[:n], rtol=1e-10).system


def default_lr(teacher: LinearRNN | Sequence[float] | np.ndarray, k: int) -> float:
    """The safe default step `η = min(1e-2, 0.5/λ)`, `λ = tr(2 JᵀJ)` at the teacher.

    J is the Jacobian of (g_0, …, g_{k-1}) with respect to the full parameters (A, B, C) of the
    teacher (its Ho–Kalman realization when only targets ŵ are given). 2JᵀJ is the Hessian of
    L_k at a zero-loss point, and its trace bounds its largest eigenvalue, so η ≤ 0.5/λ is well
    inside the GD stability limit 2/λ_max there. The diagonal and balanced parameterizations
    see a sub-block of J, so the same η is safe for them.
    """
    k = check_int("k", k, minimum=1)
    t = _teacher_realization(teacher, k)
    A, B, C = t.A, t.B[:, 0], t.C[0]
    d = A.shape[0]
    U = np.empty((k, d))
    V = np.empty((k, d))
    U[0], V[0] = B, C
    for j in range(1, k):
        U[j], V[j] = A @ U[j - 1], A.T @ V[j - 1]
    total = 0.0
    for j in range(k):
        # ∂g_j/∂A = Σ_{m<j} v_m u_{j-1-m}ᵀ, ∂g_j/∂B = v_j, ∂g_j/∂C = u_j.
        dA = V[:j].T @ U[:j][::-1] if j > 0 else np.zeros((d, d))
        total += float(np.sum(dA**2) + V[j] @ V[j] + U[j] @ U[j])
    lam = 2.0 * total
    return float(min(1e-2, 0.5 / lam)) if lam > 0 else 1e-2


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def gd_step(a: np.ndarray, b: np.ndarray, c: np.ndarray, dA: np.ndarray, dB: np.ndarray,
            dC: np.ndarray, eta: float, *, tied: bool, diagonal: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One GD step `θ ← θ - η ∇L_k(θ)` for S students (arrays updated in place and returned).

    `tied` (balanced parameterizations): the gradient is projected on {A = Aᵀ, B = Cᵀ}, which
    is the plain gradient there in exact arithmetic (C4), so only rounding is removed.
    """
    if tied:
        if not diagonal:
            dA = 0.5 * (dA + dA.transpose(0, 2, 1))
        a -= eta * dA
        b -= eta * (0.5 * (dB + dC))
        return a, b, b.copy()
    a -= eta * dA
    b -= eta * dB
    c -= eta * dC
    return a, b, c


def initial_parameters(d: int, init_scale: float, seeds: Sequence[int], param: Param = "full",
                       init: str = "random") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The initial (A, B, C) that `train_linear` draws for these seeds: shapes (S,d,d), (S,d), (S,d).

    A is returned as a full matrix also for the diagonal parameterizations (A = diag(a)).
    """
    d = check_int("d", d, minimum=1)
    sigma = check_real("init_scale", init_scale, minimum=0.0)
    param = check_choice("param", param, PARAMS)  # type: ignore[assignment]
    init = check_choice("init", init, INITS)
    A, B, C = _init(d, sigma, [check_int("seeds[]", s, minimum=0) for s in seeds], param, init)
    if A.ndim == 2:
        A = np.stack([np.diag(x) for x in A]) if len(A) else np.empty((0, d, d))
    return A, B, C


def learned_subspace(A: np.ndarray, B: np.ndarray, C: np.ndarray, k: int, r: int) -> np.ndarray:
    """Orthonormal basis P (d×r) of the state directions that carry g_0 … g_{k-1}.

    The top-r left singular vectors of `[u_0 … u_{k-1}, v_0 … v_{k-1}]`, `u_j = A^j B`,
    `v_j = (Aᵀ)^j Cᵀ` (reachable and observable directions): the rest of the state space does
    not enter the impulse response on the training lengths.
    """
    k = check_int("k", k, minimum=1)
    r = check_int("r", r, minimum=1, maximum=A.shape[0])
    u, v = np.asarray(B, float).ravel(), np.asarray(C, float).ravel()
    cols = []
    for _ in range(k):
        cols += [u, v]
        u, v = A @ u, A.T @ v
    return np.linalg.svd(np.column_stack(cols))[0][:, :r]


def _init(d: int, sigma: float, seeds: Sequence[int], param: str, init: str = "random"
          ) -> tuple[np.ndarray, ...]:
    kind = {"full": "full", "diagonal": "diagonal", "balanced": "balanced",
            "balanced_diagonal": "diagonal"}[param]
    if init == "balanced" and param == "full":
        kind = "balanced"
    S = len(seeds)
    A = np.empty((S, d, d))
    B = np.empty((S, d))
    C = np.empty((S, d))
    for s, seed in enumerate(seeds):
        st = random_student(d, sigma, np.random.default_rng(seed), kind=kind)  # type: ignore[arg-type]
        A[s], B[s], C[s] = st.A, st.B[:, 0], st.C[0]
        if param == "balanced_diagonal" or (init == "balanced" and param == "diagonal"):
            C[s] = B[s]
        elif init == "unbalanced":
            C[s] = -B[s]
    if param in ("diagonal", "balanced_diagonal"):
        return np.diagonal(A, axis1=1, axis2=2).copy(), B, C
    return A, B, C


def _unbalancedness(A: np.ndarray, B: np.ndarray, C: np.ndarray, diagonal: bool) -> tuple[np.ndarray, ...]:
    nb = np.linalg.norm(B, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tie = np.where(nb > 0, np.linalg.norm(B - C, axis=1) / nb, 0.0)
        if diagonal:
            asym = np.zeros(B.shape[0])
        else:
            na = np.linalg.norm(A, axis=(1, 2))
            asym = np.where(na > 0, np.linalg.norm(A - A.transpose(0, 2, 1), axis=(1, 2)) / na, 0.0)
    return tie, asym


def train_linear(
    teacher: LinearRNN | Sequence[float] | np.ndarray,
    *,
    d: int,
    k: int,
    init_scale: float,
    seeds: Sequence[int],
    param: Param = "full",
    lr: float | None = None,
    steps: int = 20000,
    loss_tol: float = 1e-12,
    horizon: int | None = None,
    record_every: int = 0,
    rank_rtol: float = RANK_RTOL,
    init: str = "random",
    progress: Callable[[int, int], None] | None = None,
) -> LinearTrainResult:
    """Train one student per seed by batched GD on `L_k` and measure what each learned.

    teacher: a `LinearRNN` or its targets ŵ_0, ŵ_1, … (at least k of them; for extrapolation
    metrics at least `horizon`). Init: entries N(σ²/d), σ = `init_scale` (see module doc).
    `lr=None`: `default_lr(teacher, k)`. A student stops as `converged` when `L_k ≤ loss_tol`,
    as `diverged` when its loss is non-finite or exceeds `EXPLODE_FACTOR · max(L_k(θ_0),
    Σŵ², 1)` (the others carry on), and as `max_steps` after `steps` steps.
    `horizon` q for `E_q`: default max(10k, 100) for a LinearRNN teacher, len(ŵ) for targets.
    `record_every > 0`: loss and unbalancedness are recorded every that many steps.
    `init`: "random" (entries N(0, σ²/d) independently), "balanced" (the full/diagonal student
    starts on the balanced manifold A = Aᵀ, C = Bᵀ and then trains unconstrained), or
    "unbalanced" (C = -Bᵀ: as far from B = Cᵀ as the draw allows; only for full/diagonal).
    `progress(step, n_active)` is called about 100 times along the run (for a progress bar).
    """
    d = check_int("d", d, minimum=1)
    k = check_int("k", k, minimum=1)
    sigma = check_real("init_scale", init_scale, minimum=0.0)
    param = check_choice("param", param, PARAMS)  # type: ignore[assignment]
    steps = check_int("steps", steps, minimum=0)
    loss_tol = check_real("loss_tol", loss_tol, minimum=0.0)
    record_every = check_int("record_every", record_every, minimum=0)
    rank_rtol = check_real("rank_rtol", rank_rtol, minimum=0.0, maximum=1.0, strict_min=True)
    init = check_choice("init", init, INITS)
    if init == "unbalanced" and param in ("balanced", "balanced_diagonal"):
        raise ValueError(f"init='unbalanced' contradicts param={param!r}; use param 'full' or 'diagonal'")
    seeds = [check_int("seeds[]", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one integer seed (one student per seed)")
    if isinstance(teacher, LinearRNN):
        q = max(10 * k, 100) if horizon is None else check_int("horizon", horizon, minimum=1)
        w_all = teacher.impulse_response(max(q, k))
    else:
        w_all = check_array("teacher", teacher)
        if w_all.ndim != 1 or w_all.size < k:
            raise ValueError(f"teacher targets must be a 1-D sequence of at least k = {k} "
                             f"Markov parameters; got shape {w_all.shape}")
        q = w_all.size if horizon is None else check_int("horizon", horizon, minimum=1,
                                                         maximum=w_all.size)
    eta = default_lr(teacher if isinstance(teacher, LinearRNN) else w_all, k) if lr is None \
        else check_real("lr", lr, minimum=0.0, strict_min=True)
    w = w_all[:k].copy()
    diagonal = param in ("diagonal", "balanced_diagonal")
    tied = param in ("balanced", "balanced_diagonal")

    A, B, C = _init(d, sigma, seeds, param, init)
    tick = max(1, steps // 100)
    S = len(seeds)
    status = np.array(["max_steps"] * S, dtype=object)
    step_taken = np.full(S, steps)
    final_loss = np.full(S, np.nan)
    act = np.arange(S)  # indices of students still training
    a, b, c = A.copy(), B.copy(), C.copy()  # working arrays of the active students
    with np.errstate(all="ignore"):
        loss0 = batched_loss_gradient(a, b, c, w, diagonal=diagonal, tied=tied)[0]
    ceiling = EXPLODE_FACTOR * np.maximum(np.maximum(np.nan_to_num(loss0, nan=np.inf), w @ w), 1.0)

    rec_steps: list[int] = []
    rec: list[tuple[np.ndarray, ...]] = []
    last_loss = np.where(np.isfinite(loss0), loss0, np.inf)

    def record(step: int) -> None:
        tie, asym = _unbalancedness(A, B, C, diagonal)
        active = np.zeros(S, dtype=bool)
        active[act] = True
        rec_steps.append(step)
        rec.append((last_loss.copy(), tie, asym, active))

    def retire(mask: np.ndarray, label: str, step: int) -> None:
        nonlocal act, a, b, c
        idx = act[mask]
        A[idx], B[idx], C[idx] = a[mask], b[mask], c[mask]
        status[idx] = label
        step_taken[idx] = step
        keep = ~mask
        act, a, b, c = act[keep], a[keep], b[keep], c[keep]

    for step in range(steps + 1):
        with np.errstate(all="ignore"):
            loss, dA, dB, dC = batched_loss_gradient(a, b, c, w, diagonal=diagonal, tied=tied)
            gnorm = (np.sum(dA.reshape(len(act), -1) ** 2, axis=1) + np.sum(dB**2, axis=1)
                     + np.sum(dC**2, axis=1))
        # A non-finite loss is stored as inf: the student is then marked diverged, never NaN.
        last_loss[act] = np.where(np.isfinite(loss), loss, np.inf)
        final_loss[act] = last_loss[act]
        bad = ~np.isfinite(loss) | ~np.isfinite(gnorm) | (loss > ceiling[act])
        if bad.any():
            retire(bad, "diverged", step)
            loss, dA, dB, dC = loss[~bad], dA[~bad], dB[~bad], dC[~bad]
        done = loss <= loss_tol
        if done.any():
            retire(done, "converged", step)
            loss, dA, dB, dC = loss[~done], dA[~done], dB[~done], dC[~done]
        if record_every and step % record_every == 0:
            # Retired students were written back by `retire`; write back the active ones.
            A[act], B[act], C[act] = a, b, c
            record(step)
        if progress is not None and step % tick == 0:
            progress(step, int(act.size))
        if step == steps or act.size == 0:
            break
        a, b, c = gd_step(a, b, c, dA, dB, dC, eta, tied=tied, diagonal=diagonal)
    if act.size:
        A[act], B[act], C[act] = a, b, c
    if record_every and (not rec_steps or rec_steps[-1] != int(step_taken.max())):
        record(int(step_taken.max()))

    history = None
    if record_every:
        loss_h, tie_h, asym_h, act_h = (np.array(x) for x in zip(*rec, strict=True))
        history = TrainHistory(np.array(rec_steps), loss_h, tie_h, asym_h, act_h)

    students = tuple(_metrics(seeds[s], str(status[s]), float(final_loss[s]), int(step_taken[s]),
                              A[s], B[s], C[s], diagonal, w_all, q, rank_rtol) for s in range(S))
    settings = {"d": d, "k": k, "init_scale": sigma, "seeds": list(seeds), "param": param,
                "lr": eta, "lr_rule": "min(1e-2, 0.5/tr(2JᵀJ))" if lr is None else "given",
                "steps": steps, "loss_tol": loss_tol, "horizon": q, "record_every": record_every,
                "rank_rtol": rank_rtol, "explode_factor": EXPLODE_FACTOR,
                "init": init, "init_law": "entries N(0, σ²/d) via random_student(d, σ, seed, kind)",
                "teacher_targets": w_all[: max(k, min(q, 2 * k))].tolist()}
    return LinearTrainResult(students, settings, history)


def _metrics(seed: int, status: str, loss: float, steps: int, A: np.ndarray, b: np.ndarray,
             c: np.ndarray, diagonal: bool, w_all: np.ndarray, q: int, rank_rtol: float
             ) -> StudentMetrics:
    Afull = np.diag(A) if diagonal else A
    if status == "diverged":
        return StudentMetrics(seed, status, loss, None, None, q, None, None, None, (), (), steps)
    student = LinearRNN(Afull, b[:, None], c[None, :])
    g = batched_impulse_response(Afull[None], b[None], c[None], q)[0]
    err = float(np.max(np.abs(g - w_all[:q]))) if np.all(np.isfinite(g)) else float("inf")
    rel = err / abs(float(w_all[0])) if w_all[0] != 0 else None
    nb, na = float(np.linalg.norm(b)), float(np.linalg.norm(Afull))
    tie = float(np.linalg.norm(b - c)) / nb if nb > 0 else 0.0
    asym = float(np.linalg.norm(Afull - Afull.T)) / na if na > 0 else 0.0
    dim: int | None = None
    sv = np.empty(0)
    atoms: tuple[Any, ...] = ()
    weights: tuple[Any, ...] = ()
    if np.all(np.isfinite(g)) and q >= 2 and np.any(g):
        sd = effective_state_dim(g, rtol=rank_rtol)
        dim, sv = sd.dim, sd.singular_values
        if dim >= 1 and np.all(np.isfinite(sv)):
            try:
                lam, beta = minimal_realization(g, r=min(dim, q // 2)).measure()
                atoms = tuple(_scalar(x) for x in lam)
                weights = tuple(_scalar(x) for x in beta)
            except (ValueError, np.linalg.LinAlgError):
                atoms, weights = (), ()
    elif np.all(np.isfinite(g)):
        dim = 0
    return StudentMetrics(seed, status, loss, err, None if rel is None else rel, q, tie, asym, dim,
                          atoms, weights, steps, sv, g, student)


def _scalar(x: Any) -> Any:
    return complex(x) if np.iscomplexobj(x) and x.imag != 0 else float(np.real(x))
