"""theory-check: verify the theory of low-dimensional state spaces learned by linear RNNs.

The model and realization tools are re-exported here; claims live in `theory_check.claims`,
hypothesis strategies in `theory_check.strategies`. The re-exports are resolved on first use
(module `__getattr__`), so `import theory_check.cli` does not pull in numpy and the command
line starts fast; `from theory_check import LinearRNN` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names are loaded lazily
    from theory_check.claims import claim
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
    "claim",
    "effective_state_dim",
    "hankel",
    "impulse_response",
    "loss_gradient",
    "markov_parameters",
    "minimal_realization",
    "random_student",
]

# Names re-exported from elsewhere than the model: name → module.
_FROM = {"claim": "theory_check.claims"}

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module(_FROM.get(name, "theory_check.model")), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_"):
        # `import theory_check; theory_check.model.…` worked when this module imported model
        # eagerly: resolve sub-modules on first use too.
        try:
            return importlib.import_module(f"theory_check.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"theory_check.{name}":
                raise
    raise AttributeError(f"module 'theory_check' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
