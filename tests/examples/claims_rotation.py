"""User claims about a custom model: a rotation RNN, whose state matrix is not symmetric.

The model (defined here, not in theory_check): two states, A = r·R(φ) a rotation by φ scaled by
r, B = e_1, C = e_1ᵀ, so g_j = C A^j B = r^j cos(jφ). It is a student *off* the balanced
manifold (A ≠ Aᵀ for sin φ ≠ 0), which is what the negative control below is about.

- `rotation.recurrence` (true): g obeys the order-2 recurrence of the characteristic polynomial
  of A (Cayley–Hamilton): g_{j+2} = 2r cos φ · g_{j+1} − r² g_j; judged by the EQUALITY rule.
- `rotation.moment_sequence` (false, a negative control): "g is the moment sequence of a
  nonnegative measure" — C5's conclusion without C5's hypothesis. The 2×2 Hankel matrix
  [[1, r cos φ], [r cos φ, r² cos 2φ]] has determinant −r² sin² φ < 0, so it is never PSD when
  sin φ ≠ 0; hypothesis finds such a (r, φ) and the check FAILs with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from theory_check.claims import Kind, Outcome, Status, claim, for_all
from theory_check.model import hankel


@dataclass(frozen=True)
class RotationRNN:
    """h_t = r·R(φ) h_{t-1} + e_1 x_t, y = e_1ᵀ h_k (a user-defined model)."""

    radius: float
    angle: float

    def impulse_response(self, n: int) -> np.ndarray:
        j = np.arange(n)
        return self.radius**j * np.cos(j * self.angle)


rotations = st.builds(RotationRNN, st.floats(0.1, 1.0), st.floats(0.05, 3.1))


@claim(
    "rotation.recurrence",
    title="Rotation RNN: order-2 recurrence",
    statement="g_{j+2} = 2r cos φ g_{j+1} - r² g_j for the rotation RNN (Cayley–Hamilton)",
    kind=Kind.EQUALITY,
    expected=True,
    defaults={"n": 40, "tol": 1e-12},
)
def check_recurrence(rng, *, n: int, tol: float):
    """Largest residual of the recurrence over j < n - 2, against 0, within tol (EQUALITY rule)."""
    def residual(model):
        g = model.impulse_response(n)
        r, phi = model.radius, model.angle
        return float(np.max(np.abs(g[2:] - 2 * r * math.cos(phi) * g[1:-1] + r**2 * g[:-2]))), 0.0

    return for_all(rotations, residual, rng=rng, kind=Kind.EQUALITY, tol=tol)


@claim(
    "rotation.moment_sequence",
    title="Negative control: a rotation RNN's impulse response is a moment sequence",
    statement="The rotation RNN's g_j are the moments of a nonnegative measure (false for sin φ ≠ 0)",
    kind=Kind.BOUND,
    expected=False,
    defaults={"n": 12, "tol": 1e-9},
)
def check_moment_sequence(rng, *, n: int, tol: float):
    """A moment sequence of a nonnegative measure has a PSD Hankel matrix: -λ_min(H)/‖H‖ ≤ tol."""
    def negativity(model):
        H = hankel(model.impulse_response(n))
        eig = np.linalg.eigvalsh(H)
        bad = -float(eig[0]) / float(np.max(np.abs(eig)))
        status = Status.FAIL if bad > tol else Status.PASS
        return Outcome(status, f"λ_min(H)/‖H‖ = {-bad:.3g} (allowed ≥ -{tol:g})",
                       {"hankel_min_eig_rel": -bad, "tolerance": tol},
                       counterexample={"radius": model.radius, "angle": model.angle,
                                       "det_H2_exact": -(model.radius * math.sin(model.angle)) ** 2})

    return for_all(rotations, negativity, rng=rng)
