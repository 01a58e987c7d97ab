"""Sabotages of the train engine (`theory_check.train`); each registered with `@sabotage`.

Linear trainer: a GD step that never balances, wrong batched gradients, a trainer that reports
a fit it did not reach, a perturbed learned impulse response, a wrong effective dimension.
tanh trainer: a BPTT gradient off. The claims resting on the train engine (C8, C9, N3, C10 and
the "beyond" claims) audit the gradient against high-precision finite differences and
recompute the students' numbers from their parameters, so each notices at least one of these.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from theory_check.moments import _mimo
from theory_check.selftest import patch_everywhere, patch_many, sabotage
from theory_check.train import linear, mimo, tanh


def _wrap_gradient(change: Any) -> Any:
    original = linear.batched_loss_gradient

    def batched_loss_gradient(A, B, C, w, *, diagonal=False, tied=False):  # type: ignore[no-untyped-def]
        L, dA, dB, dC = original(A, B, C, w, diagonal=diagonal, tied=tied)
        return (L, *change(dA, dB, dC))

    return patch_everywhere(linear, "batched_loss_gradient", batched_loss_gradient)


@sabotage("train.step_never_balances", engine="train",
          description="GD step symmetrised: A, B, C move by (∇A+∇Aᵀ)/2 and (∇B+∇Cᵀ)/2, so "
                      "B - Cᵀ and A - Aᵀ stay frozen at their initial O(σ) values")
def step_never_balances() -> Any:
    def gd_step(a, b, c, dA, dB, dC, eta, *, tied, diagonal):  # type: ignore[no-untyped-def]
        sym = dA if diagonal else 0.5 * (dA + dA.transpose(0, 2, 1))
        tie = 0.5 * (dB + dC)
        a -= eta * sym
        b -= eta * tie
        c -= eta * tie
        return a, b, (b.copy() if tied else c)

    return patch_everywhere(linear, "gd_step", gd_step)


@sabotage("train.gradient_scaled", engine="train",
          description="every trainer's gradient (linear SISO and MIMO, complex diagonal, tanh "
                      "BPTT) scaled by 1.1 (right direction, wrong length)")
def gradient_scaled() -> Any:
    from theory_check.train import complex_diag

    orig_mimo = mimo.batched_loss_gradient_mimo
    orig_cd = complex_diag.complex_diagonal_loss_gradient
    orig_tanh = tanh.tanh_gradients

    def batched_loss_gradient_mimo(A, B, C, w):  # type: ignore[no-untyped-def]
        L, dA, dB, dC = orig_mimo(A, B, C, w)
        return L, 1.1 * dA, 1.1 * dB, 1.1 * dC

    def complex_diagonal_loss_gradient(theta, w):  # type: ignore[no-untyped-def]
        L, g = orig_cd(theta, w)
        return L, 1.1 * g

    def tanh_gradients(W, U, C, b, c, X, y, *, grad=True):  # type: ignore[no-untyped-def]
        loss, grads = orig_tanh(W, U, C, b, c, X, y, grad=grad)
        return loss, None if grads is None else tuple(1.1 * g for g in grads)

    return patch_many(_wrap_gradient(lambda dA, dB, dC: (1.1 * dA, 1.1 * dB, 1.1 * dC)),
                      patch_everywhere(mimo, "batched_loss_gradient_mimo",
                                       batched_loss_gradient_mimo),
                      patch_everywhere(complex_diag, "complex_diagonal_loss_gradient",
                                       complex_diagonal_loss_gradient),
                      patch_everywhere(tanh, "tanh_gradients", tanh_gradients))


@sabotage("train.mimo_gradient_transposed", engine="train", quick=False,
          description="MIMO ∇B computed with R_jᵀ in place of R_j (a transposition bug; equal "
                      "only when every residual block is symmetric)")
def mimo_gradient_transposed() -> Any:
    original = mimo.batched_loss_gradient_mimo

    def batched_loss_gradient_mimo(A, B, C, w):  # type: ignore[no-untyped-def]
        L, dA, dB, dC = original(A, B, C, w)
        k = w.shape[0]
        U = B
        V = np.transpose(C, (0, 2, 1))
        At = np.transpose(A, (0, 2, 1))
        wrong = np.zeros_like(dB)
        for j in range(k):
            R = C @ U - w[j]
            if R.shape[1] == R.shape[2]:
                wrong += 2.0 * V @ np.transpose(R, (0, 2, 1))
            else:
                wrong += 2.0 * V @ R
            U, V = A @ U, At @ V
        return L, dA, wrong, dC

    return patch_everywhere(mimo, "batched_loss_gradient_mimo", batched_loss_gradient_mimo)


@sabotage("train.gradient_symmetric", engine="train", quick=False,
          description="batched ∇_A L + 0.01·ones (symmetric: the balanced manifold stays invariant)")
def gradient_symmetric() -> Any:
    return _wrap_gradient(lambda dA, dB, dC: (dA + 0.01, dB, dC))


@sabotage("train.gradient_symmetrised", engine="train", quick=False,
          description="batched gradient replaced by its balanced projection ((∇A+∇Aᵀ)/2, "
                      "(∇B+∇Cᵀ)/2): correct on the manifold, wrong off it")
def gradient_symmetrised() -> Any:
    def change(dA, dB, dC):  # type: ignore[no-untyped-def]
        sym = dA if dA.ndim == 2 and dA.shape == dB.shape else 0.5 * (dA + np.swapaxes(dA, -1, -2))
        tie = 0.5 * (dB + dC) if dB.shape == dC.shape else dB
        return sym, tie, tie
    return _wrap_gradient(change)


@sabotage("train.fit_misreported", engine="train",
          description="train_linear stops after 2% of the steps and reports L_k = 0 (status "
                      "converged): a fit it did not reach")
def fit_misreported() -> Any:
    original = linear.train_linear

    def train_linear(teacher, **kw):  # type: ignore[no-untyped-def]
        kw["steps"] = max(1, int(kw.get("steps", 20000)) // 50)
        res = original(teacher, **kw)
        fake = tuple(dataclasses.replace(m, train_loss=0.0, status="converged")
                     if m.status != "diverged" else m for m in res.students)
        return dataclasses.replace(res, students=fake)

    return patch_everywhere(linear, "train_linear", train_linear)


def _patch_metrics(change: Any) -> Any:
    original = linear._metrics

    def _metrics(*args: Any) -> Any:
        m = original(*args)
        return m if m.status == "diverged" else change(m)

    return patch_everywhere(linear, "_metrics", _metrics)


@sabotage("train.impulse_perturbed", engine="train", quick=False,
          description="learned impulse response reported with g_j + 0.05·|g_0| for j ≥ k+1 "
                      "(and E_q computed from it)")
def impulse_perturbed() -> Any:
    def change(m):  # type: ignore[no-untyped-def]
        g = m.impulse_response.copy()
        if g.size < 2:
            return m
        j0 = min(g.size - 1, 11)
        g[j0:] += 0.05 * abs(g[0])
        return dataclasses.replace(m, impulse_response=g,
                                   extrapolation_error=m.extrapolation_error + 0.05 * abs(g[0]),
                                   extrapolation_error_rel=None if m.extrapolation_error_rel is None
                                   else m.extrapolation_error_rel + 0.05)
    return _patch_metrics(change)


@sabotage("train.effective_dim_wrong", engine="train", quick=False,
          description="effective state dimension read one too high")
def effective_dim_wrong() -> Any:
    return _patch_metrics(lambda m: m if m.effective_dim is None
                          else dataclasses.replace(m, effective_dim=m.effective_dim + 1))


@sabotage("train.tanh_bptt_off", engine="train", quick=False,
          description="tanh BPTT: ∂L/∂W scaled by 0.9 (a factor lost in the backward pass)")
def tanh_bptt_off() -> Any:
    original = tanh.tanh_gradients

    def tanh_gradients(W, U, C, b, c, X, y, *, grad=True):  # type: ignore[no-untyped-def]
        loss, grads = original(W, U, C, b, c, X, y, grad=grad)
        if grads is None:
            return loss, grads
        return loss, (0.9 * grads[0], *grads[1:])

    return patch_everywhere(tanh, "tanh_gradients", tanh_gradients)


@sabotage("train.init_scale_ignored", engine="train", quick=False,
          description="train_linear ignores init_scale and always starts from σ = 1e-3 (every "
                      "student is a small-init student)")
def init_scale_ignored() -> Any:
    original = linear.train_linear

    def train_linear(teacher, **kw):  # type: ignore[no-untyped-def]
        return original(teacher, **{**kw, "init_scale": 1e-3})

    return patch_everywhere(linear, "train_linear", train_linear)


# The MIMO matrix-moment module belongs to the moments engine; its sabotage lives here, beside
# the claim (C13) that uses it, so that the moments catalogue stays with its owner.
@sabotage("moments.mimo_certifies_everything", engine="moments",
          description="block-Hankel certificate (moments._mimo.matrix_identified) says "
                      "'identified' for every k, without a certificate")
def mimo_certifies_everything() -> Any:
    def matrix_identified(M, n):  # type: ignore[no-untyped-def]
        return _mimo.MatrixCertificate(2 * n + 1, True, "sabotaged: always identified", 0)

    return patch_everywhere(_mimo, "matrix_identified", matrix_identified)


@sabotage("train.complex_diag_gradient_conjugated", engine="train", quick=False,
          description="complex-diagonal trainer: ∂L/∂y and ∂L/∂v with the wrong sign "
                      "(the conjugate Wirtinger derivative)")
def complex_diag_gradient_conjugated() -> Any:
    from theory_check.train import complex_diag

    original = complex_diag.complex_diagonal_loss_gradient

    def complex_diagonal_loss_gradient(theta, w):  # type: ignore[no-untyped-def]
        L, g = original(theta, w)
        g = g.copy()
        g[:, 1] *= -1
        g[:, 3] *= -1
        return L, g

    return patch_everywhere(complex_diag, "complex_diagonal_loss_gradient",
                            complex_diagonal_loss_gradient)
