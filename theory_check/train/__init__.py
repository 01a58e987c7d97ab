"""Training students by gradient descent: batched linear RNNs (`linear`) and tanh RNNs (`tanh`).

proofs/theory.md claims C8–C10 and N3: GD from small init learns a low-dimensional state space and
extrapolates; large init does not.
"""

from theory_check.train.linear import (  # noqa: F401
    LinearTrainResult,
    StudentMetrics,
    TrainHistory,
    default_lr,
    train_linear,
)
from theory_check.train.tanh import TanhRNN, TanhTrainResult, train_tanh  # noqa: F401
