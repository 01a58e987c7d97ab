"""Chebyshev basis on [-ρ, ρ]: exact change of basis and the linearization of localizing blocks.

With u = x/ρ and `T_n` the Chebyshev polynomials, the Chebyshev moments of μ are
`c_n = ∫ T_n(x/ρ) dμ = Σ_j t_{nj} m_j / ρ^j` (t = integer coefficients of T_n) and back
`m_j = ρ^j Σ_n s_{jn} c_n` with `u^j = Σ_n s_{jn} T_n(u)`, `s_{jn} = 2^{1-j} C(j, (j-n)/2)`
(halved for n = 0), all ≥ 0 with Σ_n s_{jn} = 1. For μ on [-ρ, ρ], |c_n| ≤ m_0: the
coordinates are bounded, where raw monomial moment matrices have condition numbers ~ 4^n.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np
from numpy.polynomial import chebyshev as npcheb


@lru_cache(maxsize=64)
def cheb_to_mono(D: int) -> tuple[tuple[int, ...], ...]:
    """Integer matrix t with `T_n(u) = Σ_j t[n][j] u^j`, n, j ≤ D (three-term recurrence)."""
    rows = [[1] + [0] * D, [0, 1] + [0] * (D - 1)][: D + 1]
    for n in range(2, D + 1):
        prev, prev2 = rows[n - 1], rows[n - 2]
        rows.append([2 * (prev[j - 1] if j else 0) - prev2[j] for j in range(D + 1)])
    return tuple(tuple(r) for r in rows)


@lru_cache(maxsize=64)
def mono_to_cheb(D: int) -> tuple[tuple[Fraction, ...], ...]:
    """Exact s with `u^j = Σ_n s[j][n] T_n(u)`, j, n ≤ D."""
    out = []
    for j in range(D + 1):
        row = [Fraction(0)] * (D + 1)
        for n in range(j % 2, j + 1, 2):
            c = Fraction(comb(j, (j - n) // 2), 2 ** (j - 1)) if j else Fraction(1)
            row[n] = c / 2 if n == 0 and j else c
        out.append(tuple(row))
    return tuple(out)


def chebyshev_moments(m: list[Fraction], rho: Fraction) -> list[Fraction]:
    """Exact Chebyshev moments `c_n = Σ_j t_{nj} m_j / ρ^j` of exact monomial moments m."""
    D = len(m) - 1
    t = cheb_to_mono(D)
    mu = [m[j] / rho**j for j in range(D + 1)]
    return [sum((t[n][j] * mu[j] for j in range(n + 1) if t[n][j]), Fraction(0)) for n in range(D + 1)]


def localizer_tensor(g: np.ndarray, size: int, D: int) -> np.ndarray:
    """Φ with `[∫ g T_i T_j dμ]_{i,j<size} = Σ_n c_n Φ[:, :, n]` (g in Chebyshev coefficients).

    Products of Chebyshev series with small dyadic coefficients are exact in float64. Cached
    (read-only result).
    """
    return _localizer_tensor(tuple(float(x) for x in g), size, D)


@lru_cache(maxsize=256)
def _localizer_tensor(gt: tuple[float, ...], size: int, D: int) -> np.ndarray:
    g = np.array(gt)
    Phi = np.zeros((size, size, D + 1))
    for i in range(size):
        for j in range(i, size):
            ei = np.zeros(i + 1)
            ei[i] = 1.0
            ej = np.zeros(j + 1)
            ej[j] = 1.0
            prod = npcheb.chebmul(npcheb.chebmul(ei, ej), g)
            Phi[i, j, : prod.size] = prod
            Phi[j, i, : prod.size] = prod
    Phi.setflags(write=False)
    return Phi


# g in Chebyshev coefficients (u = x/ρ): 1, 1 - u² = (T_0 - T_2)/2, 1 + u, 1 - u
G_ONE = np.array([1.0])
G_BAND = np.array([0.5, 0.0, -0.5])
G_LEFT = np.array([1.0, 1.0])
G_RIGHT = np.array([1.0, -1.0])


def chebyshev_blocks(D: int) -> list[tuple[str, np.ndarray]]:
    """(name, Φ) of the blocks deciding the moment cone of [-ρ, ρ] at degree D (see `_exact`)."""
    if D % 2 == 0:
        n = D // 2
        out = [("H", localizer_tensor(G_ONE, n + 1, D))]
        if n >= 1:
            out.append(("L", localizer_tensor(G_BAND, n, D)))
        return out
    n = (D - 1) // 2
    return [("P", localizer_tensor(G_LEFT, n + 1, D)), ("Qb", localizer_tensor(G_RIGHT, n + 1, D))]


def monomial_blocks(D: int) -> list[tuple[str, np.ndarray]]:
    """(name, Φ) of the same cone in raw (scaled) monomials: `[m_{i+j}]`, localizers of 1-u², 1±u."""
    def tensor(coef: dict[int, float], size: int) -> np.ndarray:
        Phi = np.zeros((size, size, D + 1))
        for i in range(size):
            for j in range(size):
                for shift, v in coef.items():
                    Phi[i, j, i + j + shift] += v
        return Phi
    if D % 2 == 0:
        n = D // 2
        out = [("H", tensor({0: 1.0}, n + 1))]
        if n >= 1:
            out.append(("L", tensor({0: 1.0, 2: -1.0}, n)))
        return out
    n = (D - 1) // 2
    return [("P", tensor({0: 1.0, 1: 1.0}, n + 1)), ("Qb", tensor({0: 1.0, 1: -1.0}, n + 1))]
