"""Symbolic engine: gradient-flow equations, conservation laws discovered and proven, completeness.

- `gradient_flow(param, d, k)`: L_k and dθ/dt derived with sympy (display, numpy/mpmath callables).
- `discover_laws(system, rng)`: all conserved quadratic + linear forms by an exact ansatz (C2).
- `conservation_identity`, `noether_identity`, `balanced_tangency`: free-algebra proofs valid
  for every d (C2, C4, N2).
- `lie_census(system, rng, laws=)`: certified count D - dim Lie of independent laws (C3).
- `derive(param, d, k)`, `conserved_quadratic_forms(param, d, k)` and `census(cases)`: the
  one-call entry points.
Polynomial back end: python-flint (`fmpz_mpoly`, `fmpz_mat`); front end: sympy.
"""

from theory_check.symbolic._api import (
    CensusRow,
    Derivation,
    census,
    conserved_quadratic_forms,
    derive,
    predicted_laws,
)
from theory_check.symbolic._derive import GradientFlow, gradient_flow
from theory_check.symbolic._laws import LawSpace, discover_laws, is_conserved
from theory_check.symbolic._lie import LieCensus, bracket, lie_census
from theory_check.symbolic._noncomm import (
    IdentityCheck,
    balanced_tangency,
    conservation_identity,
    noether_identity,
)
from theory_check.symbolic._systems import (
    MAX_D,
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
    "MAX_K",
    "MAX_TERMS",
    "MAX_TERMS_SYMPY",
    "PARAMS",
    "CensusRow",
    "Derivation",
    "GradientFlow",
    "IdentityCheck",
    "LawSpace",
    "LieCensus",
    "PolySystem",
    "balanced_tangency",
    "bracket",
    "census",
    "conservation_identity",
    "conserved_quadratic_forms",
    "derive",
    "discover_laws",
    "estimated_terms",
    "gradient_flow",
    "is_conserved",
    "law_polys",
    "lie_census",
    "n_params",
    "noether_identity",
    "predicted_laws",
    "rnn_system",
    "two_layer_system",
]
