"""Truncated moment problems: exact identifiability, worst-case extrapolation, atom extraction.

proofs/theory.md §2, C6, C7: a balanced student is a nonnegative measure μ_θ = Σ β_i δ_λi whose
moments are its Markov parameters; training on length k fixes m_0 … m_{k-1}. Public API:

- `moment_interval(moments, q, support=, eps=, norm=)`: the exact range of m_q: exact rationals
  where possible; box tolerances by certified bounds (`_kkt`: the extremal measure and its dual
  polynomial polished by Newton in multiprecision, both verified exactly; `_lp`: the grid-LP
  certificate as fallback); otherwise an SDP over the moment cone in a Chebyshev basis,
  sandwiched by a grid LP.
- `identify(atoms, weights, k, support=)`: whether k moments determine the measure, the exact
  minimal k, and a counterexample measure / balanced student when they do not.
- `worst_case_extrapolation(atoms, weights, k, q, delta, norm=)`: exact `max_{j≤q} |m_j - ŵ_j|`.
- `extract_atoms(g, support=, rtol=)`: atoms and weights of a flat (finite-rank) sequence.
- `atomic_moments(atoms, weights, n)`: `m_j = Σ β_i λ_i^j`, j < n, in the inputs' arithmetic
  (exact for rationals): the toolkit's one implementation of atomic moments.
"""

from theory_check.moments._api import (
    AtomExtraction,
    Identification,
    MomentInterval,
    WorstCase,
    extract_atoms,
    identify,
    moment_interval,
    parse_support,
    worst_case_extrapolation,
)
from theory_check.moments._exact import atomic_moments

__all__ = [
    "AtomExtraction",
    "Identification",
    "MomentInterval",
    "WorstCase",
    "atomic_moments",
    "extract_atoms",
    "identify",
    "moment_interval",
    "parse_support",
    "worst_case_extrapolation",
]
