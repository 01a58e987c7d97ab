"""High-precision gradient flow of L_k: a Taylor-series integrator with GD and float64 baselines.

`integrate(student, teacher, k, T, method="taylor"|"odefun"|"dop853"|"gd", param=..., dps=...)`
returns a `Trajectory` with loss, the drift of Q(θ) = AAᵀ - AᵀA + BBᵀ - CᵀC (proofs/theory.md §2),
and the distance from the balanced manifold along the run.
"""

from theory_check.flow._core import MAX_DPS, METHODS, PARAMS, Trajectory, integrate

__all__ = ["MAX_DPS", "METHODS", "PARAMS", "Trajectory", "integrate"]
