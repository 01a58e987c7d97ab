"""The linear RNN, its impulse response, losses, and realization from Markov parameters.

Notation of proofs/theory.md §1: `h_t = A h_{t-1} + B x_t`, `y = C h_k`, Markov parameters
`g_j = C A^j B`, training loss `L_k = Σ_{j<k} (g_j - ŵ_j)²`, extrapolation error
`E_q = max_{j<q} |g_j - ŵ_j|`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

from theory_check._validate import check_array, check_choice, check_int, check_real

__all__ = [
    "LinearRNN",
    "Realization",
    "StateDim",
    "balanced_teacher",
    "effective_state_dim",
    "hankel",
    "impulse_response",
    "loss_gradient",
    "markov_parameters",
    "minimal_realization",
    "random_student",
]

StudentKind = Literal["full", "diagonal", "balanced"]
STUDENT_KINDS: tuple[str, ...] = ("full", "diagonal", "balanced")


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class LinearRNN:
    """A linear RNN θ = (A, B, C) with scalar input and output.

    `h_t = A h_{t-1} + B x_t`, `h_0 = 0`, `y = C h_k`; A ∈ R^{d×d}, B ∈ R^{d×1}, C ∈ R^{1×d}.
    Arrays are stored as read-only float64 copies; shapes and finiteness are checked.
    """

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray

    def __post_init__(self) -> None:
        A = check_array("A", self.A)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
            raise ValueError(f"A must be a square d×d array with d >= 1; got shape {A.shape}")
        d = A.shape[0]
        # 1-D B and C are accepted as the column / row they obviously mean.
        B = check_array("B", self.B)
        B = check_array("B", B.reshape(-1, 1) if B.ndim == 1 else B, (d, 1))
        C = check_array("C", self.C)
        C = check_array("C", C.reshape(1, -1) if C.ndim == 1 else C, (1, d))
        object.__setattr__(self, "A", _frozen(A))
        object.__setattr__(self, "B", _frozen(B))
        object.__setattr__(self, "C", _frozen(C))

    @property
    def d(self) -> int:
        """State dimension d."""
        return int(self.A.shape[0])

    @property
    def n_params(self) -> int:
        """Number of parameters D = d² + 2d."""
        return self.d * self.d + 2 * self.d

    def impulse_response(self, n: int) -> np.ndarray:
        """Markov parameters g_0 … g_{n-1}, `g_j = C A^j B`, by repeated products u ← A u."""
        return impulse_response(self, n)

    def loss(self, target: LinearRNN | Sequence[float] | np.ndarray, k: int) -> float:
        """Population loss `L_k = Σ_{j<k} (g_j(θ) - ŵ_j)²` against a teacher or targets ŵ."""
        k = check_int("k", k, minimum=1)
        w = _targets(target, k)
        r = self.impulse_response(k) - w
        return float(r @ r)

    def extrapolation_error(
        self, teacher: LinearRNN | Sequence[float] | np.ndarray, horizon: int, *, relative: bool = False
    ) -> float:
        """`E_q = max_{j<q} |g_j(θ) - ŵ_j|`; with `relative=True` divided by |ŵ_0|."""
        q = check_int("horizon", horizon, minimum=1)
        w = _targets(teacher, q)
        err = float(np.max(np.abs(self.impulse_response(q) - w)))
        if relative:
            if w[0] == 0.0:
                raise ValueError("relative=True needs a teacher with ŵ_0 != 0; got ŵ_0 = 0")
            err /= abs(float(w[0]))
        return err

    def gradient(
        self, target: LinearRNN | Sequence[float] | np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(∂L_k/∂A, ∂L_k/∂B, ∂L_k/∂C) against a teacher or targets ŵ; see `loss_gradient`."""
        k = check_int("k", k, minimum=1)
        return loss_gradient(self.A, self.B, self.C, _targets(target, k))

    def is_balanced(self, rtol: float = 1e-12) -> bool:
        """Whether A = Aᵀ and B = Cᵀ up to `rtol` relative to ‖θ‖ (proofs/theory.md §2)."""
        scale = max(np.linalg.norm(self.A), np.linalg.norm(self.B), np.linalg.norm(self.C), 1e-300)
        asym = np.linalg.norm(self.A - self.A.T)
        tie = np.linalg.norm(self.B - self.C.T)
        return bool(max(asym, tie) <= rtol * scale)

    def __repr__(self) -> str:
        return f"LinearRNN(d={self.d})"


def _targets(target: LinearRNN | Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    if isinstance(target, LinearRNN):
        return target.impulse_response(n)
    w = check_array("target", target)
    if w.ndim != 1 or w.size < n:
        raise ValueError(f"target must be a 1-D sequence of at least {n} Markov parameters; "
                         f"got shape {w.shape}")
    return w[:n]


def impulse_response(model: LinearRNN, n: int) -> np.ndarray:
    """Markov parameters `g_j = C A^j B` for j = 0 … n-1 (one matrix-vector product per j)."""
    n = check_int("n", n, minimum=1)
    g = np.empty(n)
    u = model.B[:, 0].copy()
    c = model.C[0]
    for j in range(n):
        g[j] = c @ u
        u = model.A @ u
    return g


def markov_parameters(A: np.ndarray, B: np.ndarray, C: np.ndarray, n: int) -> np.ndarray:
    """`g_j = C A^j B`, j < n, for raw arrays of any dtype (float, or object arrays of Fractions).

    No validation and no conversion, so exact rational inputs give exact outputs.
    """
    u = B[:, 0]
    out = []
    for _ in range(n):
        out.append(C[0] @ u)
        u = A @ u
    return np.array(out, dtype=A.dtype)


def loss_gradient(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient of `L_k = Σ_{j<k} (g_j - ŵ_j)²` (k = len(w)) for raw arrays of any dtype.

    With `r_j = g_j - ŵ_j`, `u_j = A^j B`, `v_j = (Aᵀ)^j Cᵀ` (proofs/theory.md §2):
    `∂L/∂B = 2 Σ_j r_j v_j`, `∂L/∂C = 2 Σ_j r_j u_jᵀ`, `∂L/∂A = 2 V R Uᵀ` with
    `R_pq = r_{p+q+1}` (0 when p+q+1 ≥ k), which is `Σ_j 2 r_j Σ_{m<j} (Aᵀ)^m Cᵀ Bᵀ (Aᵀ)^{j-1-m}`.
    Exact for object arrays of Fractions.
    """
    k = len(w)
    d = A.shape[0]
    U = np.empty((d, k), dtype=A.dtype)
    V = np.empty((d, k), dtype=A.dtype)
    u, v = B[:, 0], C[0]
    for j in range(k):
        U[:, j], V[:, j] = u, v
        u, v = A @ u, A.T @ v
    r = C[0] @ U - np.asarray(w, dtype=A.dtype)
    R = np.zeros((k, k), dtype=A.dtype)
    for p in range(k):
        for q in range(k - 1 - p):
            R[p, q] = r[p + q + 1]
    dA = 2 * (V @ R @ U.T)
    dB = (2 * (V @ r))[:, None]
    dC = (2 * (U @ r))[None, :]
    return dA, dB, dC


def balanced_teacher(
    atoms: Sequence[float | Fraction], weights: Sequence[float | Fraction] | None = None
) -> LinearRNN:
    """The balanced teacher `A = diag(λ̂)`, `B = Cᵀ = √β̂`, whose impulse response is `Σ_i β̂_i λ̂_i^j`.

    Atoms must be finite and pairwise distinct, weights finite and > 0 (default: all 1).
    """
    lam = check_array("atoms", [float(a) for a in atoms])
    if lam.ndim != 1 or lam.size < 1:
        raise ValueError("atoms must be a non-empty 1-D sequence of real numbers")
    if weights is None:
        beta = np.ones_like(lam)
    else:
        beta = check_array("weights", [float(b) for b in weights])
        if beta.shape != lam.shape:
            raise ValueError(f"weights must have one entry per atom ({lam.size}); got {beta.size}")
    if np.any(beta <= 0):
        raise ValueError(f"weights must be > 0 (range (0, inf)); got {beta.tolist()}")
    if np.unique(lam).size != lam.size:
        raise ValueError(f"atoms must be pairwise distinct; got {lam.tolist()}")
    root = np.sqrt(beta)
    return LinearRNN(np.diag(lam), root[:, None], root[None, :])


def random_student(
    d: int, scale: float, rng: np.random.Generator | int | None = None, kind: StudentKind = "full"
) -> LinearRNN:
    """A random student of dimension d with entries of law N(0, σ²/d), σ = `scale`.

    `kind="full"`: A, B, C independent. `"diagonal"`: A = diag(a), a_i ~ N(0, σ²/d).
    `"balanced"`: A = (G + Gᵀ)/√2 (off-diagonal N(0, σ²/d), diagonal N(0, 2σ²/d)), B = Cᵀ.
    """
    d = check_int("d", d, minimum=1)
    s = check_real("scale", scale, minimum=0.0) / np.sqrt(d)
    kind = check_choice("kind", kind, STUDENT_KINDS)  # type: ignore[assignment]
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if kind == "full":
        A = s * gen.standard_normal((d, d))
    elif kind == "diagonal":
        A = np.diag(s * gen.standard_normal(d))
    else:
        G = s * gen.standard_normal((d, d))
        A = (G + G.T) / np.sqrt(2.0)
    B = s * gen.standard_normal((d, 1))
    C = B.T.copy() if kind == "balanced" else s * gen.standard_normal((1, d))
    return LinearRNN(A, B, C)


def hankel(g: Sequence[float] | np.ndarray, rows: int | None = None) -> np.ndarray:
    """Hankel matrix `H = [g_{i+j}]`.

    Default: the largest square one, m×m with m = ⌊(n+1)/2⌋ (uses g_0 … g_{2m-2});
    with `rows` given: rows × (n - rows + 1), using all of g.
    """
    g = check_array("g", g)
    if g.ndim != 1 or g.size < 1:
        raise ValueError("g must be a non-empty 1-D sequence")
    n = g.size
    if rows is None:
        r = cols = (n + 1) // 2
    else:
        r = check_int("rows", rows, minimum=1, maximum=n)
        cols = n - r + 1
    idx = np.arange(r)[:, None] + np.arange(cols)[None, :]
    return g[idx]


@dataclass(frozen=True)
class StateDim:
    """Effective state dimension: numerical rank of `H = [g_{i+j}]` and the singular values it used."""

    dim: int
    singular_values: np.ndarray
    rtol: float

    def __iter__(self):  # allows `dim, sv = effective_state_dim(g)`
        return iter((self.dim, self.singular_values))


def effective_state_dim(g: Sequence[float] | np.ndarray, rtol: float = 1e-8) -> StateDim:
    """Numerical rank of the Hankel matrix of g: #{σ_i > rtol · σ_1} (= minimal realization order).

    Exactly `d̂` for the impulse response of a minimal d̂-state system once len(g) ≥ 2d̂.
    """
    rtol = check_real("rtol", rtol, minimum=0.0, maximum=1.0, strict_min=True)
    sv = np.linalg.svd(hankel(g), compute_uv=False)
    dim = int(np.sum(sv > rtol * sv[0])) if sv[0] > 0 else 0
    return StateDim(dim, sv, rtol)


@dataclass(frozen=True, eq=False)
class Realization:
    """A minimal realization by Ho–Kalman and the Hankel singular values the order was read from."""

    system: LinearRNN
    order: int
    singular_values: np.ndarray

    def measure(self) -> tuple[np.ndarray, np.ndarray]:
        """Atoms λ_i = eig(A) and weights β_i = (C v_i)(w_iᵀ B) with `g_j = Σ_i β_i λ_i^j`.

        v_i, w_iᵀ are right eigenvectors and the rows of their inverse. Both may be complex
        (a realization of a sequence that is not a real moment sequence).
        """
        lam, V = np.linalg.eig(self.system.A)
        beta = (self.system.C @ V)[0] * np.linalg.solve(V, self.system.B)[:, 0]
        order = np.argsort(lam.real)
        lam, beta = lam[order], beta[order]
        if np.all(np.abs(lam.imag) == 0) and np.all(np.abs(beta.imag) <= 1e-12 * np.abs(beta).max()):
            return lam.real.copy(), beta.real.copy()
        return lam, beta


def minimal_realization(g: Sequence[float] | np.ndarray, r: int | None = None,
                        rtol: float = 1e-8) -> Realization:
    """Ho–Kalman realization of order r from Markov parameters g_0 … g_{n-1}.

    With `H_0 = [g_{i+j}]`, `H_1 = [g_{i+j+1}]` (m×m, m = ⌊n/2⌋) and `H_0 ≈ U_r Σ_r V_rᵀ`:
    `A = Σ_r^{-1/2} U_rᵀ H_1 V_r Σ_r^{-1/2}`, `B = Σ_r^{1/2} V_rᵀ e_1`, `C = e_1ᵀ U_r Σ_r^{1/2}`.
    If r is None the order is the numerical rank of H_0 at `rtol` (see `effective_state_dim`).
    """
    g = check_array("g", g)
    if g.ndim != 1 or g.size < 2:
        raise ValueError("g must be a 1-D sequence of at least 2 Markov parameters")
    m = g.size // 2
    idx = np.arange(m)[:, None] + np.arange(m)[None, :]
    H0, H1 = g[idx], g[idx + 1]
    U, s, Vt = np.linalg.svd(H0)
    if r is None:
        rtol = check_real("rtol", rtol, minimum=0.0, maximum=1.0, strict_min=True)
        r = int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0
        if r == 0:
            raise ValueError("g is numerically zero: no realization of order >= 1")
    r = check_int("r", r, minimum=1, maximum=m)
    if s[r - 1] <= 0:
        raise ValueError(f"r = {r} exceeds the rank of the Hankel matrix (singular values {s})")
    root = np.sqrt(s[:r])
    Ur, Vr = U[:, :r], Vt[:r].T
    A = (Ur.T @ H1 @ Vr) / root[:, None] / root[None, :]
    B = (root[:, None] * Vr.T)[:, :1]
    C = (Ur * root[None, :])[:1, :]
    return Realization(LinearRNN(A, B, C), r, s)


# --- trust-symflow ---

def q_matrix(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """`Q(θ) = A Aᵀ - Aᵀ A + B Bᵀ - Cᵀ C` (proofs/theory.md §2) for raw arrays of any dtype.

    B is d×1 and C is 1×d; exact for object arrays of Fractions (or fixed-point integers, whose
    scale then doubles). In the diagonal parameterization its diagonal is b_i² - c_i².
    """
    return A.dot(A.T) - A.T.dot(A) + B.dot(B.T) - C.T.dot(C)


# --- trust-train ---

def complex_diagonal_impulse_response(theta: np.ndarray, n: int) -> np.ndarray:
    """`g_j = Re Σ_i c_i λ_i^j b_i`, j < n, for complex-diagonal students (claim C12).

    Per mode λ_i = x_i + i·y_i, b_i = u_i + i·v_i, c_i = p_i + i·q_i; `theta` holds the real
    parameters in the order (x, y, u, v, p, q): shape (6, d), or (S, 6, d) for S students
    (then the result has shape (S, n)). This is the model shared with the symbolic engine.
    """
    th = np.asarray(theta, dtype=float)
    single = th.ndim == 2
    th = th[None] if single else th
    if th.ndim != 3 or th.shape[1] != 6:
        raise ValueError(f"theta must have shape (6, d) or (S, 6, d); got {np.shape(theta)}")
    n = check_int("n", n, minimum=1)
    lam = th[:, 0] + 1j * th[:, 1]
    cb = (th[:, 4] + 1j * th[:, 5]) * (th[:, 2] + 1j * th[:, 3])
    g = np.empty((th.shape[0], n))
    power = np.ones_like(lam)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(n):
            g[:, j] = np.real(np.sum(cb * power, axis=1))
            power = power * lam
    return g[0] if single else g
