"""A priori cost of `derive` for the RNN of proofs/theory.md: the pre-check refuses what will not finish.

The estimate is a fitted power law in three sizes known before any computation:
D (parameters), S = `estimated_terms` (monomials of the fields ∇g_j) and the Witt depth N0 (the
fewest bracket levels that can reach D - predicted laws, `witt_depth`):

    seconds ≈ 0.03 + exp(c0 + c4·[k = 1]) · D^c1 · S^c2 · exp(c3 · N0) · k^c5,

with the coefficients fitted by least squares on log-times of the engine itself on this
project's 2-core machine: CPU seconds of 85 runs (full d ≤ 9, k ≤ 8; diagonal d ≤ 32,
k ≤ 40; balanced d ≤ 6, k ≤ 4), one fit per parameterization (c5 = 0 except diagonal); on
them measured / estimated lies in [0.44, 1.6] for every case above 0.1 s (the tiny ones are
over-estimated by up to 5×). benchmarks/bench_symbolic.py re-measures held-out cases and reports the ratio
(benchmarks/README.md records the numbers). It predicts one core's CPU time, without the sympy
display (md/latex add ~2 s at full d = 8); on a loaded machine wall time is longer.
"""

from __future__ import annotations

import math

from theory_check.symbolic._lie import witt_depth
from theory_check.symbolic._systems import MAX_TERMS, estimated_terms, n_params, validate

# Fitted on the grid of benchmarks/bench_symbolic.py (see benchmarks/README.md).
_COEF = {"full": (-12.437, 1.321, 0.597, 0.812, 5.153, 0.0),
         "diagonal": (-7.442, -1.904, 4.601, -0.021, -1.379, -7.603),
         "balanced": (-14.691, 3.007, 0.351, 0.809, 0.0, 0.0)}
MAX_SECONDS = 600.0
# Outside the fitted range the census needs many more bracket levels than N0 and the jets grow
# with them (measured: full d = 8, k = 2 took 59 s CPU at 3.0 GB, depth 9; balanced d = 7,
# k = 3 took 48 s at 0.8 GB, depth 8, against estimates 3-4x lower), so these are refused.
MAX_D_K2 = 7        # full, k = 2
MAX_D_BALANCED = 6  # balanced, every k


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
    c0, c1, c2, c3, c4, c5 = _COEF[param]
    return 0.03 + math.exp(c0 + c4 * (k == 1) + c1 * math.log(D) + c2 * math.log(S) + c3 * N0
                           + c5 * math.log(k))


def estimate_seconds(param: str, d: int, k: int, *, limit: float = MAX_SECONDS) -> float:
    """Estimated seconds of `derive(param, d, k, equations=False)`; ValueError beyond `limit`.

    Also applies `validate` (ranges of param, d, k and the term limit `MAX_TERMS`) and the
    two ranges the cost model does not cover (`MAX_D_BALANCED`, `MAX_D_K2`).
    """
    param, d, k = validate(param, d, k, limit=MAX_TERMS)
    if param == "balanced" and d > MAX_D_BALANCED:
        raise ValueError(f"d must be ≤ {MAX_D_BALANCED} for param=balanced (no laws: the census "
                         f"must span all D directions, beyond the fitted cost model); got {d}")
    if param == "full" and k == 2 and d > MAX_D_K2:
        raise ValueError(f"d must be ≤ {MAX_D_K2} for param=full with k=2 (bracket depth ~d+1, "
                         f"beyond the fitted cost model and 2 GB); got {d}")
    est = raw_estimate(param, d, k)
    if est > limit:
        raise ValueError(f"param={param}, d={d}, k={k} is estimated at ~{est:,.0f} s, beyond the "
                         f"documented limit of {limit:,.0f} s (reduce d or k)")
    return est
