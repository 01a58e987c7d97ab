"""Taylor-series integrator for dθ/dt = -∇L_k(θ) in fixed-point big-integer arithmetic.

The vector field is polynomial in θ = (A, B, C), so the Taylor coefficients of θ(t₀ + h s) in s
follow exactly from recurrences on truncated power series (Cauchy products), no finite
differences. With `u_j = A^j B`, `v_j = (Aᵀ)^j Cᵀ`, `r_j = C u_j - ŵ_j` (proofs/theory.md §2):

    u_{j+1} = A u_j,   v_{j+1} = Aᵀ v_j,   w_p = Σ_{q: p+q+1<k} r_{p+q+1} u_q,
    dA/dt = -2 Σ_p v_p w_pᵀ,   dB/dt = -2 Σ_j r_j v_j,   dCᵀ/dt = -2 Σ_j r_j u_j,

and `(n+1) θ_{n+1} = h · (coefficient n of the right-hand side)` for the series scaled by
the step h. Every series product is one object-array `dot` of stacked coefficients.

Numbers: each real x is the integer round(x · 2^P) (gmpy2 `mpz` when installed, else Python
`int`); a sum of products is rounded once (`>> P`). This is far cheaper than `mpf` objects and
gives an absolute resolution 2^-P in every parameter. `P` is chosen by `fixed_point_bits`.

Step and order (Jorba & Zou 2005): order `N = ⌈(ln(1/ε))/2⌉ + 1` for the local error target ε;
the step is the largest σ ≤ 1 (in units of h) with `max(‖θ_{N-1}‖∞ σ^{N-1}, ‖θ_N‖∞ σ^N) ≤ ε`,
and the next h is the step just taken scaled by the decay of this step's coefficients.

Mixed tiers: with the step so chosen the scaled coefficients decay like ε^{n/N}, so order n
needs only relative accuracy ε^{1-n/N}; orders n ≥ N(1 - 46/E) are computed in float64 from
float64 copies of the lower ones (`float_tier_start`), the rest exactly. This halves the cost;
`mixed=False` in `integrate` keeps every order in fixed point, and tests check both agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

try:  # gmpy2 integers multiply ~1.5x faster than Python ints at these sizes
    from gmpy2 import mpz as _int
except ImportError:  # pragma: no cover - gmpy2 is a dependency; keep working without it
    _int = int

GUARD_BITS = 20
LOG2_10 = math.log2(10.0)


def fixed_point_bits(dps: int, theta_scale: float) -> tuple[int, int]:
    """(P, E): fixed-point bits P and the error-target exponent E (ε = 2^-E absolute).

    `E = ⌈dps·log₂10⌉ + 4 + max(0, -⌊log₂ s⌋)` where s = min(1, ‖θ₀‖∞): the local error target
    is 2^-4 · 10^-dps relative to the scale of θ(0) (small inits get extra bits), and
    `P = E + GUARD_BITS` so that rounding (~N ulps per step) stays far below ε.
    """
    extra = 0
    if theta_scale > 0:
        extra = max(0, -math.floor(math.log2(min(1.0, theta_scale))))
    E = math.ceil(dps * LOG2_10) + 4 + min(extra, 400)
    return E + GUARD_BITS, E


def order_for(E: int) -> int:
    """Jorba–Zou order `N = ⌈ln(1/ε)/2⌉ + 1` for ε = 2^-E."""
    return math.ceil(E * math.log(2.0) / 2.0) + 1


def to_fixed(x: np.ndarray, P: int) -> np.ndarray:
    """Exact fixed-point image of a float array: round(x · 2^P) as object integers."""
    flat = [_int(round(math.ldexp(float(v), P))) for v in np.asarray(x, dtype=float).ravel()]
    return np.array(flat, dtype=object).reshape(np.shape(x))


@dataclass
class FixedState:
    """θ in fixed point: full A (d×d) or its diagonal (d,), B (d,), C (d,)."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray


def _shift(x: np.ndarray | int, P: int):
    return x >> P


def float_tier_start(N: int, E: int) -> int:
    """First order computed in float64 by the mixed scheme (see `taylor_step_coefficients`).

    With the step chosen so that the scaled coefficients decay like ε^{n/N} (ε = 2^-E), the
    coefficient of order n only needs relative accuracy ε^{1-n/N}; float64 (with 2^7 to spare
    for sums and cancellation: 2^-46) suffices once n ≥ N (1 - 46 / E).
    """
    return min(N, max(1, math.ceil(N * (1.0 - 46.0 / E))))


def _to_float_array(x: np.ndarray, P: int) -> np.ndarray:
    return np.ldexp(x.astype(np.float64), -P)


def _float_copies(arrays: dict[str, np.ndarray], n: int, P: int, balanced: bool) -> dict[str, np.ndarray]:
    """float64 copies (real values) of everything computed before order n."""
    fl = {}
    for name, arr in arrays.items():
        if name in ("Cc", "V") and balanced:
            continue
        f = np.zeros(arr.shape, dtype=float)
        upto = n + 1 if name in ("Ac", "Bc", "Cc") else n
        f[:upto] = _to_float_array(arr[:upto], P)
        fl[name] = f
    if balanced:
        fl["Cc"], fl["V"] = fl["Bc"], fl["U"]
    return fl


def taylor_step_coefficients(
    s: FixedState, w: np.ndarray, param: str, N: int, H: int, P: int, n_float: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients 0…N of θ(t₀ + h s) in s, h = H·2^-P, and the residuals r_j(t₀).

    Orders n < `n_float` are computed in exact fixed point; orders ≥ `n_float` (default: all
    fixed point) in float64 from float64 copies of the lower coefficients — the mixed scheme,
    valid because high orders contribute only their leading digits (`float_tier_start`).
    Returns (Ac, Bc, Cc, r0) as object integer arrays: Ac of shape (N+1, d, d) (full,
    balanced) or (N+1, d) (diagonal), Bc and Cc of shape (N+1, d).
    """
    d = s.B.shape[0]
    k = w.shape[0]
    diag = param == "diagonal"
    balanced = param == "balanced"
    n_float = N if n_float is None else max(1, min(n_float, N))
    Ac = np.empty((N + 1, *s.A.shape), dtype=object)
    Bc = np.empty((N + 1, d), dtype=object)
    Cc = Bc if balanced else np.empty((N + 1, d), dtype=object)
    Ac[0], Bc[0] = s.A, s.B
    if not balanced:
        Cc[0] = s.C
    U = np.empty((N + 1, k, d), dtype=object)
    V = U if balanced else np.empty((N + 1, k, d), dtype=object)
    R = np.empty((N + 1, k), dtype=object)
    W = np.zeros((N + 1, max(k - 1, 1), d), dtype=object)
    arrays = {"Ac": Ac, "Bc": Bc, "Cc": Cc, "U": U, "V": V, "R": R, "W": W}
    fixed = True
    h = math.ldexp(float(H), -P)
    for n in range(N):
        if n == n_float:
            try:
                fl = _float_copies(arrays, n, P, balanced)
            except OverflowError:  # coefficients beyond the float range (a wild step): stay exact
                fl = None
                n_float = N
            if fl is not None:
                Ac, Bc, Cc, U, V, R, W = (fl[x] for x in ("Ac", "Bc", "Cc", "U", "V", "R", "W"))
                fixed = False
        sh = (lambda x: x >> P) if fixed else (lambda x: x)
        # u_j, v_j at order n (sequential in j: u_{j+1} needs u_j to order n)
        U[n, 0] = Bc[n]
        if not balanced:
            V[n, 0] = Cc[n]
        if diag:
            a_stack = Ac[: n + 1]
            for j in range(1, k):
                U[n, j] = sh((a_stack * U[n::-1, j - 1]).sum(axis=0))
                if not balanced:
                    V[n, j] = sh((a_stack * V[n::-1, j - 1]).sum(axis=0))
        elif k > 1:
            a_stack = Ac[: n + 1].transpose(1, 0, 2).reshape(d, (n + 1) * d)
            at_stack = None if balanced else Ac[: n + 1].transpose(2, 0, 1).reshape(d, (n + 1) * d)
            for j in range(1, k):
                U[n, j] = sh(a_stack.dot(U[n::-1, j - 1].reshape(-1)))
                if not balanced:
                    V[n, j] = sh(at_stack.dot(V[n::-1, j - 1].reshape(-1)))
        # r_j = C u_j - ŵ_j at order n
        u_rev = U[n::-1]  # (n+1, k, d), block m is U[n-m]
        g = sh(Cc[: n + 1].reshape(-1).dot(u_rev.transpose(0, 2, 1).reshape((n + 1) * d, k)))
        R[n] = g - w if n == 0 else g
        # right-hand side at order n (fixed tier: unshifted, scale 2^{2P})
        rv = R[: n + 1].reshape(-1)
        dB = rv.dot(V[n::-1].reshape((n + 1) * k, d))
        dC = dB if balanced else rv.dot(u_rev.reshape((n + 1) * k, d))
        if k > 1:
            # w_p = Σ_{q < k-1-p} r_{p+q+1} u_q: only the nonzero part of the Hankel pattern
            for p in range(k - 1):
                L = k - 1 - p
                W[n, p] = sh(R[: n + 1, p + 1:].reshape(-1).dot(u_rev[:, :L].reshape((n + 1) * L, d)))
            w_rev = W[n::-1]
            if diag:
                dA = (V[: n + 1, : k - 1] * w_rev).sum(axis=(0, 1))
            else:
                vs = V[: n + 1, : k - 1].reshape((n + 1) * (k - 1), d).T
                dA = vs.dot(w_rev.reshape((n + 1) * (k - 1), d))
                if balanced:  # the symmetric parameterization: keep S = Sᵀ exactly
                    dA = np.triu(dA) + np.triu(dA, 1).T
        else:
            dA = np.zeros(s.A.shape, dtype=object if fixed else float)
        if fixed:
            m2H, P2 = -2 * H, 2 * P
            Ac[n + 1] = ((dA * m2H) >> P2) // (n + 1)
            Bc[n + 1] = ((dB * m2H) >> P2) // (n + 1)
            if not balanced:
                Cc[n + 1] = ((dC * m2H) >> P2) // (n + 1)
        else:
            c = -2.0 * h / (n + 1)
            Ac[n + 1] = dA * c
            Bc[n + 1] = dB * c
            if not balanced:
                Cc[n + 1] = dC * c
    r0 = arrays["R"][0]
    if fixed:
        return Ac, Bc, Cc, r0
    out = []
    for name in ("Ac", "Bc", "Cc"):
        if name == "Cc" and balanced:
            out.append(out[-1])
            continue
        obj, flo = arrays[name], {"Ac": Ac, "Bc": Bc, "Cc": Cc}[name]
        for n in range(n_float + 1, N + 1):
            obj[n] = np.array([_int(v) for v in np.rint(np.ldexp(flo[n], P)).ravel().tolist()],
                              dtype=object).reshape(flo[n].shape)
        out.append(obj)
    return out[0], out[1], out[2], r0


def max_abs(x: np.ndarray) -> int:
    """‖x‖∞ of an object integer array."""
    return max((abs(v) for v in x.ravel()), default=0)


def horner(coef: np.ndarray, S: int, P: int) -> np.ndarray:
    """Σ_n coef_n σ^n with σ = S·2^-P (S = 2^P means σ = 1: a plain sum)."""
    if S == 1 << P:
        return coef.sum(axis=0)
    acc = coef[-1]
    for c in coef[-2::-1]:
        acc = _shift(acc * S, P) + c
    return acc


def step_fraction(Ac: np.ndarray, Bc: np.ndarray, Cc: np.ndarray, E: int, P: int) -> float:
    """Largest σ (possibly > 1) with `max(‖θ_{N-1}‖∞ σ^{N-1}, ‖θ_N‖∞ σ^N) ≤ ε` in units 2^-P."""
    N = Ac.shape[0] - 1
    eps_units = 2.0 ** (P - E)
    sigma = math.inf
    for n in (N - 1, N):
        size = max(max_abs(Ac[n]), max_abs(Bc[n]), max_abs(Cc[n]))
        if size > 0:
            # log-space: the integers can exceed the float range
            sigma = min(sigma, math.exp((math.log(eps_units) - _log_int(size)) / n))
    return sigma


def _log_int(x: int) -> float:
    b = int(x).bit_length()
    if b < 1000:
        return math.log(float(x))
    return math.log(float(int(x) >> (b - 53))) + (b - 53) * math.log(2.0)
