"""Symbolic engine: each job against a named baseline on the same problem, in one process.

- derive (laws + completeness, the JSON path of `theory-check derive`), full k = 3, d = 2 … 8:
  ours vs the previous engine (`_symbolic_v1`, commit 4671336: one exact integer nullspace for
  the whole ansatz, brackets expanded over Z) for d ≤ 6, and vs plain sympy (expressions,
  `diff`, `expand`, `Matrix.nullspace`, `Matrix.rank`) for d ≤ 3. Times are medians of CPU time
  (`time.process_time`, one thread) *and* of wall time; the machine is shared, so CPU time is
  the figure to compare. Peak memory: each case once more in a fresh child process (ru_maxrss).
- diagonal d = 8, 16, 32 (k = 3) and the built-in models: time and certified count.
- cost estimate (`estimate_seconds`, the pre-check) against measured CPU time on a grid.
- derivation of the equations (full d=3, k=6) vs plain sympy; the flint re-check vs sympy's
  ring; the free-algebra proof vs sympy noncommutative expand (as before).
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sympy
from _harness import median_seconds, report
from _symbolic_v1 import discover_laws_v1, lie_census_v1

from theory_check.symbolic import (
    _derive,
    _noncomm,
    _words,
    complex_diagonal_rnn,
    deep_linear,
    derive,
    derive_model,
    estimate_seconds,
    mimo_rnn,
    projected_rnn,
    rnn_system,
)
from theory_check.symbolic._laws import discover_laws, is_conserved, law_string
from theory_check.symbolic._systems import variable_names

QUICK = "--quick" in sys.argv
HERE = Path(__file__).resolve().parent
rows = []


def median_times(fn, repeats=3, warmup=0):
    """(median CPU seconds, median wall seconds) of fn() over `repeats` runs."""
    for _ in range(warmup):
        fn()
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def ours(param, d, k):
    rnn_system.cache_clear()
    r = derive(param, d, k, equations=False)
    assert r.certified
    return r


def v1(param, d, k):
    rnn_system.cache_clear()
    s = rnn_system(param, d, k)
    rng = np.random.default_rng(0)
    laws = discover_laws_v1(s, rng)
    c = lie_census_v1(s, rng, laws=laws.laws)
    assert c.certified
    return c


def plain_sympy(d, k):
    """The whole job in sympy: g_j, ∇g_j, the quadratic ansatz solved by Matrix.nullspace, and
    right-normed brackets (jacobians) evaluated at an integer point, ranks by Matrix.rank."""
    theta = sympy.symbols(variable_names("full", d))
    D = len(theta)
    A = sympy.Matrix(d, d, theta[: d * d])
    B = sympy.Matrix(theta[d * d: d * d + d])
    C = sympy.Matrix([list(theta[d * d + d:])])
    g, u = [], B
    for _ in range(k):
        g.append(sympy.expand((C * u)[0, 0]))
        u = (A * u).applyfunc(sympy.expand)
    fields = [sympy.Matrix([sympy.diff(gj, t) for t in theta]) for gj in g]
    pairs = [(a, b) for a in range(D) for b in range(a, D)]
    m = sympy.symbols(f"m0:{len(pairs) + D}")
    q = sum(m[i] * theta[a] * theta[b] for i, (a, b) in enumerate(pairs))
    q += sum(m[len(pairs) + a] * theta[a] for a in range(D))
    grad_q = [sympy.diff(q, t) for t in theta]
    eqs = []
    for F in fields:
        expr = sympy.expand(sum(gq * f for gq, f in zip(grad_q, F)))
        eqs.extend(sympy.Poly(expr, *theta).coeffs())
    M, _ = sympy.linear_eq_to_matrix(eqs, m)
    n_laws = len(M.nullspace())
    point = dict(zip(theta, np.random.default_rng(1).integers(-50, 51, size=D).tolist()))
    target = D - n_laws
    vals = [F.subs(point) for F in fields]
    span = sympy.Matrix.hstack(*vals)
    frontier = [F for F, v in zip(fields, vals)]
    rank = span.rank()
    while rank < target and frontier:
        new = []
        for X in frontier:
            for F in fields:
                br = (X.jacobian(theta) * F - F.jacobian(theta) * X).applyfunc(sympy.expand)
                trial = sympy.Matrix.hstack(span, br.subs(point))
                if trial.rank() > rank:
                    span, rank = trial, rank + 1
                    new.append(br)
        frontier = new
    assert D - rank == n_laws
    return n_laws


def peak_mb(code: str) -> float:
    """Peak resident memory (MB, VmHWM) of a fresh interpreter running `code`.

    VmHWM starts afresh at exec; ru_maxrss would include the forked parent's pages.
    """
    tail = "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
    out = subprocess.run([sys.executable, "-c", code + tail], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1]) / 1024


def main() -> None:
    global rows
    # ---------------------------------------------------------------- derive full k = 3, d = 2 … 8
    ds = (2, 4, 6) if QUICK else (2, 3, 4, 5, 6, 7, 8)
    for d in ds:
        r = ours("full", d, 3)
        reps = 3 if d <= 6 else 1
        cpu, wall = median_times(lambda d=d: ours("full", d, 3), repeats=reps)
        row = {"job": f"derive full d={d} k=3 (laws {r.census.n_laws}, depth {r.census.depth})",
               "ours_cpu_s": cpu, "ours_wall_s": wall,
               "ours_peak_MB": peak_mb(f"from theory_check.symbolic import derive; derive('full', {d}, 3, "
                                       "equations=False)"),
               "estimate_s": estimate_seconds("full", d, 3)}
        if d <= 6:
            c1, w1 = median_times(lambda d=d: v1("full", d, 3), repeats=1)
            row.update({"v1_cpu_s": c1, "v1_wall_s": w1, "v1_over_ours_cpu": c1 / cpu,
                        "v1_peak_MB": peak_mb(f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                                              f"from bench_symbolic import v1; v1('full', {d}, 3)")})
        if d <= 3:
            cs, _ = median_times(lambda d=d: plain_sympy(d, 3), repeats=1)
            row.update({"sympy_cpu_s": cs, "sympy_over_ours_cpu": cs / cpu})
        rows.append(row)
        print(json.dumps(row), flush=True)

    # ---------------------------------------------------------------- diagonal and built-in models
    for d in ((8, 16) if QUICK else (8, 16, 32)):
        r = ours("diagonal", d, 3)
        cpu, wall = median_times(lambda d=d: ours("diagonal", d, 3), repeats=1)
        rows.append({"job": f"derive diagonal d={d} k=3 (laws {r.census.n_laws})", "ours_cpu_s": cpu,
                     "ours_wall_s": wall, "estimate_s": estimate_seconds("diagonal", d, 3)})
        print(json.dumps(rows[-1]), flush=True)

    for mdl in (mimo_rnn(3, 2, 2, 3), mimo_rnn(4, 2, 3, 3), complex_diagonal_rnn(4, 4),
                complex_diagonal_rnn(8, 3), deep_linear((3, 4, 4, 3)), projected_rnn(3, 2, 2, 3)):
        r = derive_model(mdl)
        cpu, wall = median_times(lambda mdl=mdl: derive_model(mdl), repeats=1)
        rows.append({"job": f"derive_model {mdl.name}: {r.n_laws} laws, certified {r.certified}, "
                     f"predicted {r.predicted}", "ours_cpu_s": cpu, "ours_wall_s": wall})
        print(json.dumps(rows[-1]), flush=True)

    # ---------------------------------------------------------------- cost estimate vs measured
    grid = [("full", d, k) for d, k in ((3, 2), (5, 2), (4, 3), (7, 3), (4, 4), (5, 4), (3, 6), (4, 5),
                                         (6, 1))]
    grid += [("diagonal", d, k) for d, k in ((8, 2), (16, 6), (24, 3), (32, 10), (16, 1))]
    grid += [("balanced", d, k) for d, k in ((3, 3), (5, 3), (6, 4))]
    if QUICK:
        grid = grid[:4]
    for case in grid:
        cpu, _ = median_times(lambda case=case: ours(*case), repeats=1)
        est = estimate_seconds(*case)
        rows.append({"job": f"estimate {case[0]} d={case[1]} k={case[2]}", "ours_cpu_s": cpu,
                     "estimate_s": est, "measured_over_estimate": cpu / est})
        print(json.dumps(rows[-1]), flush=True)

    # ---------------------------------------------------------------- equations, re-check, free algebra


    def derive_equations():
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


    t_ours = median_seconds(derive_equations, repeats=3)
    t_base = median_seconds(derive_plain_sympy, repeats=1, warmup=0)
    rows.append({"job": "equations full d=3 k=6 (sympy display)", "ours_wall_s": t_ours,
                 "sympy_wall_s": t_base, "sympy_over_ours": t_base / t_ours})


    def sympy_ring_recheck(system, laws):
        R, *x = sympy.ring(system.names, sympy.ZZ)

        def to_ring(p):
            if p.is_zero():
                return R.zero
            return R.from_dict({tuple(e): int(c) for e, c in p.to_dict().items()})

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
        return run


    for param, d, k in [("full", 4, 6), ("diagonal", 8, 6)]:
        system = rnn_system(param, d, k)
        space = discover_laws(system, np.random.default_rng(0))
        t_ours = median_seconds(lambda system=system, laws=space.laws: all(is_conserved(system, q)
                                                                           for q in laws), repeats=3)
        t_base = median_seconds(sympy_ring_recheck(system, space.laws), repeats=1, warmup=0)
        rows.append({"job": f"re-check of the {space.dim} laws of {param} d={d} k={k} (flint)",
                     "ours_wall_s": t_ours, "sympy_wall_s": t_base, "sympy_over_ours": t_base / t_ours})
        assert law_string(system, space.laws[0])

    Q = {(-1, "Aa"): 1, (-1, "aA"): -1, (-1, "Bb"): 1, (-1, "cC"): -1}
    for k in (5, 20) if QUICK else (5, 10, 20, 40):
        def words_at(k=k):
            rate, _ = _words.time_derivative(Q, _words.flow_rates(k))
            assert not rate

        def sympy_at(k=k):
            _noncomm.loss_gradients.cache_clear()
            expr, _ = _noncomm._time_derivative(_noncomm.LAWS["Q"](), _noncomm.flow_rates(k))
            assert expr == 0

        t_ours = median_seconds(words_at, repeats=5)
        t_base = median_seconds(sympy_at, repeats=1, warmup=0)
        rows.append({"job": f"dQ/dt = 0 free algebra, k={k}", "ours_wall_s": t_ours,
                     "sympy_wall_s": t_base, "sympy_over_ours": t_base / t_ours})

    # One table: every row gets every column (NaN where it does not apply).
    cols = sorted({c for r in rows for c in r} - {"job"})
    rows = [{"job": r["job"], **{c: r.get(c, float("nan")) for c in cols}} for r in rows]
    report("symbolic", rows)


if __name__ == "__main__":
    main()
