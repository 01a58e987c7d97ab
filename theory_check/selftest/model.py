"""Sabotages of the model engine (`theory_check.model`): gradients and impulse responses.

Each wrong gradient keeps the exact arithmetic of its input (Fractions stay Fractions), so the
exact-rational parts of the claims see the sabotage too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy as np

from theory_check import model
from theory_check.selftest import patch_everywhere, patch_many, sabotage


def _like(A: np.ndarray, value: Fraction, shape: tuple[int, ...]) -> np.ndarray:
    """A constant array of `value` in A's arithmetic (object arrays of Fractions stay exact)."""
    if A.dtype == object:
        return np.full(shape, value, dtype=object)
    return np.full(shape, float(value))


def _wrong_gradient(change: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple]
                    ) -> Any:
    original = model.loss_gradient

    def loss_gradient(A: np.ndarray, B: np.ndarray, C: np.ndarray, w: np.ndarray) -> tuple:
        return change(A, *original(A, B, C, w))

    return patch_everywhere(model, "loss_gradient", loss_gradient)


@sabotage("model.gradient_symmetric", engine="model",
          description="∇_A L + 0.1·ones (symmetric: the balanced manifold stays invariant)")
def gradient_symmetric() -> Any:
    def change(A, dA, dB, dC):
        return dA + _like(A, Fraction(1, 10), dA.shape), dB, dC
    return _wrong_gradient(change)


@sabotage("model.gradient_antisymmetric", engine="model",
          description="∇_A L + 0.1·(E_12 - E_21) (breaks the tangency of the balanced manifold)")
def gradient_antisymmetric() -> Any:
    def change(A, dA, dB, dC):
        E = _like(A, Fraction(0), dA.shape)
        if dA.shape[0] >= 2:
            E[0, 1], E[1, 0] = Fraction(1, 10), Fraction(-1, 10)
            E = E if A.dtype == object else E.astype(float)
        else:
            E = E + _like(A, Fraction(1, 10), dA.shape)
        return dA + E, dB, dC
    return _wrong_gradient(change)


@sabotage("model.gradient_scaled", engine="model",
          description="every gradient block scaled by 1.1 (right direction, wrong length)")
def gradient_scaled() -> Any:
    s = Fraction(11, 10)

    def change(A, dA, dB, dC):
        f = s if A.dtype == object else float(s)
        return dA * f, dB * f, dC * f
    return _wrong_gradient(change)


@sabotage("model.gradient_B_only", engine="model",
          description="∇_B L + 0.1 (∇_B L ≠ (∇_C L)ᵀ on the balanced manifold)", quick=False)
def gradient_b_only() -> Any:
    def change(A, dA, dB, dC):
        return dA, dB + _like(A, Fraction(1, 10), dB.shape), dC
    return _wrong_gradient(change)


@contextmanager
def _perturbed_markov(j: int, eps: Fraction) -> Iterator[None]:
    orig_mp, orig_ir = model.markov_parameters, model.impulse_response

    def markov_parameters(A, B, C, n):
        g = orig_mp(A, B, C, n)
        if n > j:
            g = g.copy()
            g[j] = g[j] + (eps if g.dtype == object else float(eps))
        return g

    def impulse_response(m, n):
        g = orig_ir(m, n).copy()
        if n > j:
            g[j] += float(eps)
        return g

    with patch_many(patch_everywhere(model, "markov_parameters", markov_parameters),
                    patch_everywhere(model, "impulse_response", impulse_response)):
        yield


@sabotage("model.impulse_perturbed", engine="model",
          description="g_2 = C A² B + 10⁻³ in markov_parameters and impulse_response")
def impulse_perturbed() -> Any:
    return _perturbed_markov(2, Fraction(1, 1000))


@sabotage("model.impulse_shifted", engine="model",
          description="g_j returned as g_{j+1} (an off-by-one in the power of A)", quick=False)
@contextmanager
def impulse_shifted() -> Iterator[None]:
    orig_mp, orig_ir = model.markov_parameters, model.impulse_response

    def markov_parameters(A, B, C, n):
        return orig_mp(A, B, C, n + 1)[1:]

    def impulse_response(m, n):
        return orig_ir(m, n + 1)[1:]

    with patch_many(patch_everywhere(model, "markov_parameters", markov_parameters),
                    patch_everywhere(model, "impulse_response", impulse_response)):
        yield
