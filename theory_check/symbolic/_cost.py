"""A priori cost of `derive` for the RNN of THEORY.md: the pre-check refuses what will not finish.

The estimate is a fitted power law in three sizes known before any computation:
D (parameters), S = `estimated_terms` (monomials of the fields ∇g_j) and the Witt depth N0 (the
fewest bracket levels that can reach D - predicted laws, `witt_depth`):

    seconds ≈ 0.03 + exp(c0 + c4·[k = 1]) · D^c1 · S^c2 · exp(c3 · N0),

with the coefficients fitted by least squares on log-times of the engine itself on this
project's 2-core machine: CPU seconds of 55 cases (full d ≤ 9, k ≤ 8; diagonal d ≤ 32,
k ≤ 10; balanced d ≤ 6, k ≤ 4), one fit per parameterization; on them measured / estimated
lies in [0.6, 1.7] (diagonal, balanced) and [0.25, 3.7] (full, the extremes at cases under
0.1 s). benchmarks/bench_symbolic.py re-measures held-out cases and reports the ratio
(benchmarks/README.md records the numbers). It predicts one core's CPU time, without the sympy
display (md/latex add ~2 s at full d = 8); on a loaded machine wall time is longer.
"""

from __future__ import annotations

import math

from theory_check.symbolic._lie import witt_depth
from theory_check.symbolic._systems import MAX_TERMS, estimated_terms, n_params, validate

# Fitted on the grid of benchmarks/bench_symbolic.py (see benchmarks/README.md).
_COEF = {"full": (-12.144, 1.226, 0.576, 0.841, 5.182),
         "diagonal": (-10.705, 2.42, 0.093, 0.127, 0.552),
         "balanced": (-14.375, 2.597, 0.442, 0.859, 0.0)}
MAX_SECONDS = 600.0


def _predicted(param: str, d: int, k: int) -> int:
    D = n_params(param, d)
    if k == 1:
        return D - 1
    return {"full": d * (d + 1) // 2, "diagonal": d, "balanced": 0}[param]


def features(param: str, d: int, k: int) -> tuple[int, int, int]:
    """(D, S, N0) of the cost model."""
    D = n_params(param, d)
    target = D - _predicted(param, d, k)
    return D, estimated_terms(param, d, k), witt_depth(k, target) if target > 0 else 1


def raw_estimate(param: str, d: int, k: int) -> float:
    """The cost model's seconds for (param, d, k), unvalidated."""
    D, S, N0 = features(param, d, k)
    c0, c1, c2, c3, c4 = _COEF[param]
    return 0.03 + math.exp(c0 + c4 * (k == 1) + c1 * math.log(D) + c2 * math.log(S) + c3 * N0)


def estimate_seconds(param: str, d: int, k: int, *, limit: float = MAX_SECONDS) -> float:
    """Estimated seconds of `derive(param, d, k, equations=False)`; ValueError beyond `limit`.

    Also applies `validate` (ranges of param, d, k and the term limit `MAX_TERMS`).
    """
    param, d, k = validate(param, d, k, limit=MAX_TERMS)
    est = raw_estimate(param, d, k)
    if est > limit:
        raise ValueError(f"param={param}, d={d}, k={k} is estimated at ~{est:,.0f} s, beyond the "
                         f"documented limit of {limit:,.0f} s (reduce d or k)")
    return est
