"""Symbolic engine: gradient-flow equations, conservation laws discovered and proven, completeness.

- `gradient_flow(param, d, k)`: L_k and dθ/dt derived with sympy (display, numpy/mpmath callables).
- `discover_laws(system, rng)`: all conserved quadratic + linear forms by an exact ansatz (C2).
- `conservation_identity`, `noether_identity`, `balanced_tangency`: free-algebra proofs valid
  for every d (C2, C4, N2).
- `lie_census(system, rng, laws=)`: certified count D - dim Lie of independent laws (C3).
- `derive(param, d, k)`, `conserved_quadratic_forms(param, d, k)` and `census(cases)`: the
  one-call entry points for the RNN of proofs/theory.md.
- `model(params, outputs)`: any polynomial model θ ↦ φ(θ) (sympy expressions or a function of
  sympy matrices), loss Σ_j (φ_j - y_j)²; built-ins `mimo_rnn`, `complex_diagonal_rnn`,
  `deep_linear`, `projected_rnn`; `derive_model(model, degree=)` derives, proves and counts.
Polynomial back end: python-flint (`fmpz_mpoly`, `fmpz_mat`); front end: sympy.
"""

from theory_check.symbolic._api import (
    CensusRow,
    Derivation,
    ModelDerivation,
    census,
    conserved_quadratic_forms,
    derive,
    derive_model,
    predicted_laws,
)
from theory_check.symbolic._cost import MAX_SECONDS, estimate_seconds
from theory_check.symbolic._derive import GradientFlow, gradient_flow
from theory_check.symbolic._laws import (
    LawSpace,
    ansatz_blocks,
    discover_laws,
    is_conserved,
    sign_symmetries,
)
from theory_check.symbolic._lie import LieCensus, bracket, lie_census, witt_depth
from theory_check.symbolic._models import (
    MODELS,
    Model,
    builtin,
    complex_diagonal_rnn,
    deep_linear,
    mimo_rnn,
    model,
    projected_rnn,
)
from theory_check.symbolic._noncomm import (
    IdentityCheck,
    balanced_tangency,
    conservation_identity,
    noether_identity,
)
from theory_check.symbolic._systems import (
    MAX_D,
    MAX_D_DIAGONAL,
    MAX_K,
    MAX_TERMS,
    MAX_TERMS_SYMPY,
    PARAMS,
    PolySystem,
    estimated_terms,
    law_polys,
    n_params,
    rnn_system,
    two_layer_system,
)

__all__ = [
    "MAX_D",
    "MAX_D_DIAGONAL",
    "MAX_K",
    "MAX_SECONDS",
    "MAX_TERMS",
    "MAX_TERMS_SYMPY",
    "MODELS",
    "PARAMS",
    "CensusRow",
    "Derivation",
    "GradientFlow",
    "IdentityCheck",
    "LawSpace",
    "LieCensus",
    "Model",
    "ModelDerivation",
    "PolySystem",
    "ansatz_blocks",
    "balanced_tangency",
    "bracket",
    "builtin",
    "census",
    "complex_diagonal_rnn",
    "conservation_identity",
    "conserved_quadratic_forms",
    "deep_linear",
    "derive",
    "derive_model",
    "discover_laws",
    "estimate_seconds",
    "estimated_terms",
    "gradient_flow",
    "is_conserved",
    "law_polys",
    "lie_census",
    "mimo_rnn",
    "model",
    "n_params",
    "noether_identity",
    "predicted_laws",
    "projected_rnn",
    "rnn_system",
    "sign_symmetries",
    "two_layer_system",
    "witt_depth",
]
