"""Claims whose evidence comes from several engines, each part an `Outcome` joined by `combine`.

C2: the symbolic derivation and proof (`claims.symbolic`) and the high-precision flow ladder
(`claims.flow`). C4: the symbolic proof (all d, k ≤ K) and the exact-rational / float checks
of `claims.basic`. C8: GD training over init scales (`claims.train`) and the mechanism along
the high-precision flow (`claims.flow`). A combined claim takes the union of its parts'
parameters (the C8 mechanism's prefixed with `mechanism_`), so each part can be overridden.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from theory_check.claims._registry import Kind, Outcome, claim, combine
from theory_check.claims.basic import c4_numeric
from theory_check.claims.flow import (
    C2_NUMERIC_THOROUGH,
    C8_MECHANISM_THOROUGH,
    c2_numeric,
    c8_mechanism,
)
from theory_check.claims.symbolic import (
    C2_SYMBOLIC_DEFAULTS,
    C2_SYMBOLIC_THOROUGH,
    c2_symbolic,
    c4_symbolic,
)
from theory_check.claims.train import C8_TRAINING_DEFAULTS, C8_TRAINING_THOROUGH, c8_training

_MECH = "mechanism_"


def _keyword_defaults(fn: Callable[..., Outcome]) -> dict[str, Any]:
    """A part's keyword-only parameters with their defaults."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()
            if p.kind is p.KEYWORD_ONLY}


def _prefixed(params: dict[str, Any]) -> dict[str, Any]:
    return {_MECH + k: v for k, v in params.items()}


def _split(params: dict[str, Any], *, names: Mapping[str, Any] | None = None,
           prefix: str = "") -> tuple[dict, dict]:
    """(the params in `names` or starting with `prefix`, prefix removed; the rest)."""
    def mine(k: str) -> bool:
        return k in (names or {}) or (bool(prefix) and k.startswith(prefix))

    return ({k.removeprefix(prefix): v for k, v in params.items() if mine(k)},
            {k: v for k, v in params.items() if not mine(k)})


_C2_NUMERIC = _keyword_defaults(c2_numeric)


@claim(
    "C2",
    title="Conservation of balancedness",
    statement="Q = AAᵀ - AᵀA + BBᵀ - CᵀC is conserved under gradient flow (b_i² - c_i² if diagonal)",
    kind=Kind.CONSERVED,
    defaults={**C2_SYMBOLIC_DEFAULTS, **_C2_NUMERIC},
    thorough={**C2_SYMBOLIC_THOROUGH, **C2_NUMERIC_THOROUGH},
    engines=("symbolic", "flow"),
    headline=("symbolic.identity.K", "symbolic.ansatz.span_equals_known_laws_for_k_ge_2",
              "numeric.drift_dps50", "numeric.falling_with_dps"),
)
def check_c2(rng: np.random.Generator, **params: Any) -> Outcome:
    """C2 = derived and proved symbolically (all d, k ≤ K) and conserved to ~10^-(0.9·dps-5)
    along the high-precision Taylor flow at every dps of the ladder."""
    numeric, symbolic = _split(params, names=_C2_NUMERIC)
    return combine({"symbolic": c2_symbolic(rng, **symbolic),
                    "numeric": c2_numeric(rng, **numeric)})


@claim(
    "C8",
    title="Approximate balancedness from small init",
    statement="GD from init scale σ ends with ‖B - Cᵀ‖/‖B‖ and ‖A - Aᵀ‖/‖A‖ shrinking as σ → 0",
    kind=Kind.QUALITATIVE,
    defaults={**C8_TRAINING_DEFAULTS, **_prefixed(_keyword_defaults(c8_mechanism))},
    thorough={**C8_TRAINING_THOROUGH, **_prefixed(C8_MECHANISM_THOROUGH)},
    engines=("train", "flow", "model"),
    headline=("training.alpha_B_minus_Ct", "training.alpha_A_asym",
              "mechanism.measured_rate"),
)
def check_c8(rng: np.random.Generator, **params: Any) -> Outcome:
    """C8 = GD from scales σ ends less unbalanced as σ → 0 (`c8_training`) and, along the flow,
    ‖B - Cᵀ‖ decays at rate 2ŵ_0 onto the floor set by Q(0) = O(σ²) (`c8_mechanism`)."""
    mechanism, training = _split(params, prefix=_MECH)
    return combine({"training": c8_training(rng, **training),
                    "mechanism": c8_mechanism(rng, **mechanism)})


@claim(
    "C4",
    title="Invariance of the balanced manifold",
    statement="{A = Aᵀ, B = Cᵀ} is invariant under gradient flow and under GD with any step",
    kind=Kind.INVARIANT,
    defaults={"d": 3, "k": 5, "d_hat": 2, "n_students": 12, "exact_steps": 3,
              "n_trajectories": 4, "gd_steps": 200,
              "step_sizes": (1e-3, 1e-2, 1e-1, 1.0), "flow_time": 5.0, "scale": 1.0,
              "student_kind": "balanced", "tol": 1e-12, "K": 8, "K_sympy": 8},
    # exact_steps 2: a third exact step at d = 6, k = 9 carries ~36 000-bit denominators and
    # costs ~6 s per point while checking the same one-step statement (θ ∈ M ⇒ θ - η∇L ∈ M)
    thorough={"d": 6, "k": 9, "n_students": 60, "exact_steps": 2, "n_trajectories": 20, "gd_steps": 2000,
              "flow_time": 20.0, "K": 40, "K_sympy": 20},
    engines=("symbolic", "model"),
    headline=("numeric.exact_steps_balanced", "numeric.max_tangency_defect",
              "symbolic.K"),
)
def check_c4(rng: np.random.Generator, *, K: int, K_sympy: int, **numeric: Any) -> Outcome:
    """C4 = the symbolic proof for every d (k ≤ K, `claims.symbolic.c4_symbolic`) and the
    exact-rational / float checks at sampled points and trajectories (`c4_numeric`)."""
    return combine({"symbolic": c4_symbolic(rng, K=K, K_sympy=K_sympy),
                    "numeric": c4_numeric(rng, **numeric)})
