"""theory-check: verify the theory of low-dimensional state spaces learned by linear RNNs.

The model and realization tools are re-exported here; claims live in `theory_check.claims`,
hypothesis strategies in `theory_check.strategies`.
"""

from theory_check.model import (
    LinearRNN,
    Realization,
    StateDim,
    balanced_teacher,
    effective_state_dim,
    hankel,
    impulse_response,
    loss_gradient,
    markov_parameters,
    minimal_realization,
    random_student,
)

__all__ = [
    "LinearRNN",
    "Realization",
    "StateDim",
    "balanced_teacher",
    "effective_state_dim",
    "hankel",
    "impulse_response",
    "loss_gradient",
    "markov_parameters",
    "minimal_realization",
    "random_student",
]

__version__ = "0.1.0"
