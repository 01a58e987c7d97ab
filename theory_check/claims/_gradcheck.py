"""An independent derivation of ∇L_k that claims check the gradient engine against first.

`independent_gradient` differentiates `L_k(θ) = Σ_{j<k} (C A^j B - ŵ_j)²` in forward mode: it
runs its own power loop `u_{j+1} = A u_j` (u_0 = B) together with the tangents
`∂u_{j+1}/∂θ = A ∂u_j/∂θ + (∂A/∂θ) u_j`, so `∇g_j = C ∂u_j/∂θ + (∂C/∂θ) u_j` and
`∇L = Σ_j 2 r_j ∇g_j`. Nothing here calls `theory_check.model`: it is a second derivation by a
different route (the product rule along the forward loop, not the closed form 2 V R Uᵀ), so a
wrong gradient engine cannot agree with it by sharing code. `theory_gradient` is proofs/theory.md §2's
formulas written out term by term (used to predict rates, e.g. N2's d(B - Cᵀ)/dt).

Arithmetic: Fractions/ints stay exact (the comparison is then exact equality, tolerance 0);
floats are converted exactly to mpmath numbers at 40 digits, and the engine's float64 gradient
must agree within `FLOAT_RTOL` of a rounding scale (see `check_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from theory_check.claims._registry import Outcome, Status

__all__ = ["FLOAT_RTOL", "GradCheck", "check_gradient", "gradient_outcome", "independent_gradient",
           "theory_gradient"]

# float64 gradients carry ~k·d·2^-53 relative rounding; 1e-9 leaves a margin of ~10^5 and is
# still 10^8 below the smallest sabotage (a 10% or 0.1-absolute change).
FLOAT_RTOL = 1e-9
_DPS = 40


def _exact(x: Any) -> bool:
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def _lift(M: np.ndarray, exact: bool) -> np.ndarray:
    """M as an object array in the comparison arithmetic (Fractions, or exact mpf of floats)."""
    M = np.asarray(M)
    conv = (lambda v: v) if exact else (lambda v: mpmath.mpf(float(v)))
    return np.array([conv(v) for v in M.ravel()], dtype=object).reshape(M.shape)


def independent_gradient(A: np.ndarray, B: np.ndarray, C: np.ndarray, w: Iterable[Any]
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂A, ∂L/∂B, ∂L/∂C) by forward-mode differentiation of L_k's own power loop.

    Exact for object arrays of Fractions/ints; for float input the result is an object array of
    mpmath numbers at 40 digits (the float inputs are taken exactly).
    """
    A, B, C = np.asarray(A), np.asarray(B), np.asarray(C)
    w = list(w)
    exact = all(_exact(v) for v in [*A.ravel(), *B.ravel(), *C.ravel(), *w])
    with mpmath.workdps(_DPS):
        A, B, C = _lift(A, exact), _lift(B, exact)[:, 0], _lift(C, exact)[0]
        wv = [v if exact else mpmath.mpf(float(v)) for v in w]
        d = A.shape[0]
        D = d * d + 2 * d
        zero = Fraction(0) if exact else mpmath.mpf(0)
        u = B.copy()
        T = np.full((d, D), zero, dtype=object)  # ∂u/∂θ, θ = (vec A row-major, B, C)
        for i in range(d):
            T[i, d * d + i] = zero + 1
        grad = np.full(D, zero, dtype=object)
        for j in range(len(wv)):
            g = C.dot(u)
            dg = C.dot(T)
            dg[d * d + d:] = dg[d * d + d:] + u
            grad = grad + 2 * (g - wv[j]) * dg
            Tn = A.dot(T)
            for a in range(d):
                Tn[a, a * d: a * d + d] = Tn[a, a * d: a * d + d] + u
            u, T = A.dot(u), Tn
    return grad[: d * d].reshape(d, d), grad[d * d: d * d + d].reshape(d, 1), grad[d * d + d:].reshape(1, d)


def theory_gradient(A: np.ndarray, B: np.ndarray, C: np.ndarray, w: Iterable[Any]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """proofs/theory.md §2 term by term (r_j = g_j - ŵ_j, exact for Fractions):
    `∂L/∂B = Σ_j 2 r_j (Aᵀ)^j Cᵀ`, `∂L/∂C = Σ_j 2 r_j Bᵀ (Aᵀ)^j`,
    `∂L/∂A = Σ_j 2 r_j Σ_{m<j} (Aᵀ)^m Cᵀ Bᵀ (Aᵀ)^{j-1-m}`."""
    A, B, C = np.asarray(A), np.asarray(B), np.asarray(C)
    w = list(w)
    d, k = A.shape[0], len(w)
    eye = np.array([[A.ravel()[0] * 0 + (1 if i == j else 0) for j in range(d)] for i in range(d)],
                   dtype=A.dtype)
    P = [eye]  # P[m] = (Aᵀ)^m
    for _ in range(1, max(k, 1)):
        P.append(P[-1].dot(A.T))
    r = [(C.dot(P[j].T).dot(B))[0, 0] - w[j] for j in range(k)]
    dB = sum((2 * r[j] * P[j].dot(C.T) for j in range(k)), B * 0)
    dC = sum((2 * r[j] * B.T.dot(P[j]) for j in range(k)), C * 0)
    dA = sum((2 * r[j] * P[m].dot(C.T).dot(B.T).dot(P[j - 1 - m]) for j in range(k)
              for m in range(j)), A * 0)
    return dA, dB, dC


@dataclass(frozen=True)
class GradCheck:
    """The gradient engine compared with `independent_gradient` at `n_points` points.

    `max_error`: max over points of max |engine - independent| / scale (scale 1 for exact
    input, where the tolerance is 0); `tolerance`: 0 (exact) or `FLOAT_RTOL`.
    """

    ok: bool
    max_error: float
    tolerance: float
    n_points: int
    arithmetic: str

    def evidence(self) -> dict[str, Any]:
        return {"gradient_check_points": self.n_points, "gradient_check_max_error": self.max_error,
                "gradient_check_tolerance": self.tolerance,
                "gradient_check": f"engine vs forward-mode derivation ({self.arithmetic})"}


def _engine() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
    from theory_check import model  # looked up at call time: the engine as it is now

    return model.loss_gradient


def check_gradient(points: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray, Any]],
                   grad: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
                   ) -> GradCheck:
    """Compare `grad` (default `model.loss_gradient`) with `independent_gradient` at each point.

    Exact points (Fractions): equality. Float points: `|engine - independent| ≤ FLOAT_RTOL ·
    scale`, scale = Σ_j 2 (|r_j| + |g_j| + |ŵ_j|) max|∇g_j| (what rounding of r_j can reach),
    at least max|∇L|.
    """
    grad = grad or _engine()
    worst, n, all_exact, ok = 0.0, 0, True, True
    for A, B, C, w in points:
        n += 1
        w = list(w)
        exact = all(_exact(v) for v in [*np.ravel(A), *np.ravel(B), *np.ravel(C), *w])
        all_exact &= exact
        mine = independent_gradient(A, B, C, w)
        theirs = grad(A, B, C, np.array(w, dtype=object) if exact else np.asarray(w, dtype=float))
        if exact:
            diff = max(abs(x - y) for m, t in zip(mine, theirs, strict=True)
                       for x, y in zip(m.ravel(), np.asarray(t).ravel(), strict=True))
            err = float(diff)
            ok &= diff == 0
        else:
            with mpmath.workdps(_DPS):
                scale = _rounding_scale(A, B, C, w)
                diff = max(abs(x - mpmath.mpf(float(y))) for m, t in zip(mine, theirs, strict=True)
                           for x, y in zip(m.ravel(), np.asarray(t, dtype=float).ravel(), strict=True))
                biggest = max(abs(x) for m in mine for x in m.ravel())
                err = float(diff / max(scale, biggest, mpmath.mpf(1e-300)))
            ok &= bool(np.isfinite(err)) and err <= FLOAT_RTOL
        worst = max(worst, err) if np.isfinite(err) else float("inf")
    return GradCheck(ok=bool(ok), max_error=worst, tolerance=0.0 if all_exact else FLOAT_RTOL,
                     n_points=n, arithmetic="exact rational" if all_exact else f"mpmath {_DPS} digits")


def _rounding_scale(A, B, C, w) -> Any:
    """max entry of Σ_j 2 (|C| |A|^j |B| + |ŵ_j|) ∇(|C| |A|^j |B|): the gradient of L_k with
    every sign made positive, which bounds the terms whose rounding the engine accumulates."""
    Aa, Ba, Ca = (np.abs(np.asarray(x, dtype=float)) for x in (A, B, C))
    bound = independent_gradient(Aa, Ba, Ca, [-abs(float(v)) for v in w])
    return max(abs(x) for m in bound for x in m.ravel())


def gradient_outcome(check: GradCheck, evidence: dict[str, Any] | None = None) -> Outcome | None:
    """INCONCLUSIVE naming the disagreement when the gradient engine failed `check`, else None."""
    if check.ok:
        return None
    tol = "exactly" if check.tolerance == 0 else f"within {check.tolerance:g}"
    return Outcome(Status.INCONCLUSIVE,
                   f"gradient engine disagrees with independent derivation by {check.max_error:.3g} "
                   f"(must agree {tol}; {check.n_points} points, {check.arithmetic})",
                   {**(evidence or {}), **check.evidence()})
