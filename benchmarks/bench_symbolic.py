"""Symbolic engine: each job against a named baseline on the same problem, in one process.

- derivation (full d=3, k=6): sympy ring + chain rule on placeholders (ours) vs plain sympy
  expressions (matrix products, expand, sympy.diff of the expanded loss terms).
- discovery (full d=4 k=6; diagonal d=8 k=6): total time (points + flint nullspace + re-check),
  and the symbolic re-check alone in flint (ours) vs sympy's sparse ring (`sympy.polys.rings`).
- noncommutative proof of dQ/dt = 0 at a single k (k = 5 … 40): word-dictionary free algebra
  (ours) vs sympy noncommutative expand.
- completeness (full d=4, k = 1..6): last bracket level evaluated at the point (ours) vs every
  bracket expanded before evaluation.
"""

import numpy as np
import sympy
from _harness import median_seconds, report

from theory_check.symbolic import _derive, _noncomm, _words
from theory_check.symbolic._laws import discover_laws, is_conserved, law_string
from theory_check.symbolic._lie import lie_census
from theory_check.symbolic._systems import rnn_system, variable_names

rows = []


def derive_ours():
    _derive.gradient_flow.cache_clear()
    return _derive.gradient_flow("full", 3, 6)


def derive_plain_sympy(d=3, k=6):
    theta = sympy.symbols(variable_names("full", d))
    w = sympy.symbols(f"w_0:{k}")
    A = sympy.Matrix(d, d, theta[: d * d])
    B = sympy.Matrix(theta[d * d: d * d + d])
    C = sympy.Matrix([list(theta[d * d + d:])])
    g, u = [], B
    for _ in range(k):
        g.append(sympy.expand((C * u)[0, 0]))
        u = (A * u).applyfunc(sympy.expand)
    loss = sum((gj - wj) ** 2 for gj, wj in zip(g, w))
    return [-sympy.diff(loss, t) for t in theta]


ours = derive_ours()
ref = derive_plain_sympy()
assert all(sympy.expand(a - b) == 0 for a, b in zip(ours.rhs[:2], ref[:2]))
t_ours = median_seconds(derive_ours, repeats=3)
t_base = median_seconds(derive_plain_sympy, repeats=1, warmup=0)
rows.append({"job": "derive full d=3 k=6", "ours_s": t_ours, "baseline": "plain sympy",
             "baseline_s": t_base, "speedup": t_base / t_ours})


def sympy_ring_recheck(system, laws):
    R, *x = sympy.ring(system.names, sympy.ZZ)
    conv = {}

    def to_ring(p):
        return R.from_dict({tuple(e): int(c) for e, c in p.to_dict().items()}) if not p.is_zero() else R.zero

    fields = [[to_ring(c) for c in f] for f in system.fields]
    qs = [to_ring(q) for q in laws]

    def run():
        for q in qs:
            grad = [q.diff(xi) for xi in x]
            for f in fields:
                s = R.zero
                for gq, fc in zip(grad, f):
                    if gq:
                        s += gq * fc
                assert not s
    conv["run"] = run
    return run


for param, d, k in [("full", 4, 6), ("diagonal", 8, 6)]:
    def discover(param=param, d=d, k=k):
        rnn_system.cache_clear()
        return discover_laws(rnn_system(param, d, k), np.random.default_rng(0))

    space = discover()
    system = rnn_system(param, d, k)
    t_ours = median_seconds(discover, repeats=3)
    rows.append({"job": f"discover {param} d={d} k={k} ({space.dim} laws), total", "ours_s": t_ours,
                 "baseline": "-", "baseline_s": float("nan"), "speedup": float("nan")})

    def flint_recheck(system=system, laws=space.laws):
        assert all(is_conserved(system, q) for q in laws)

    t_ours = median_seconds(flint_recheck, repeats=3)
    t_base = median_seconds(sympy_ring_recheck(system, space.laws), repeats=1, warmup=0)
    rows.append({"job": f"  symbolic re-check of the {space.dim} laws", "ours_s": t_ours,
                 "baseline": "sympy ring", "baseline_s": t_base, "speedup": t_base / t_ours})
    assert law_string(system, space.laws[0])

Q = {(-1, "Aa"): 1, (-1, "aA"): -1, (-1, "Bb"): 1, (-1, "cC"): -1}
for k in (5, 10, 20, 40):
    def words_at(k=k):
        rate, _ = _words.time_derivative(Q, _words.flow_rates(k))
        assert not rate

    def sympy_at(k=k):
        _noncomm.loss_gradients.cache_clear()
        expr, _ = _noncomm._time_derivative(_noncomm.LAWS["Q"](), _noncomm.flow_rates(k))
        assert expr == 0

    t_ours = median_seconds(words_at, repeats=5)
    t_base = median_seconds(sympy_at, repeats=1, warmup=0)
    rows.append({"job": f"dQ/dt = 0 free algebra, k={k}", "ours_s": t_ours,
                 "baseline": "sympy noncommutative", "baseline_s": t_base, "speedup": t_base / t_ours})

for k in range(1, 7):
    system = rnn_system("full", 4, k)
    laws = discover_laws(system, np.random.default_rng(0)).laws

    def census(system=system, laws=laws, expand_all=False):
        c = lie_census(system, np.random.default_rng(1), laws=laws, expand_all=expand_all)
        assert c.certified
        return c

    c = census()
    t_ours = median_seconds(census, repeats=3)
    t_base = median_seconds(lambda system=system, laws=laws: census(system, laws, True), repeats=1,
                            warmup=0)
    rows.append({"job": f"census full d=4 k={k} (laws {c.n_laws}, depth {c.depth})", "ours_s": t_ours,
                 "baseline": "expand every bracket", "baseline_s": t_base, "speedup": t_base / t_ours})

report("symbolic", rows)
