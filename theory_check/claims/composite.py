"""Claims whose evidence comes from several engines, each part an `Outcome` joined by `combine`.

C4: the symbolic proof (all d, k ≤ K) and the exact-rational / float checks of `basic`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theory_check.claims._registry import Kind, Outcome, claim, combine
from theory_check.claims.basic import c4_numeric
from theory_check.claims.symbolic import c4_symbolic


@claim(
    "C4",
    title="Invariance of the balanced manifold",
    statement="{A = Aᵀ, B = Cᵀ} is invariant under gradient flow and under GD with any step",
    kind=Kind.INVARIANT,
    defaults={"d": 3, "k": 5, "d_hat": 2, "n_students": 12, "exact_steps": 3,
              "n_trajectories": 4, "gd_steps": 200,
              "step_sizes": (1e-3, 1e-2, 1e-1, 1.0), "flow_time": 5.0, "scale": 1.0,
              "student_kind": "balanced", "tol": 1e-12, "K": 8, "K_sympy": 5},
    thorough={"d": 6, "k": 9, "n_students": 60, "n_trajectories": 20, "gd_steps": 2000,
              "flow_time": 20.0, "K": 40, "K_sympy": 8},
    headline=("numeric.exact_steps_balanced", "numeric.max_tangency_defect",
              "symbolic.K"),
)
def check_c4(rng: np.random.Generator, *, K: int, K_sympy: int, **numeric: Any) -> Outcome:
    """C4 = the symbolic proof for every d (k ≤ K, `claims.symbolic.c4_symbolic`) and the
    exact-rational / float checks at sampled points and trajectories (`c4_numeric`)."""
    return combine({"symbolic": c4_symbolic(rng, K=K, K_sympy=K_sympy),
                    "numeric": c4_numeric(rng, **numeric)})
