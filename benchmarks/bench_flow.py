"""Gradient flow at dps 30/50: our Taylor integrator vs mpmath.odefun (same problem, same dps,
end states checked to agree to 10^(-dps+5)), with DOP853 (float64) for reference.

Usage: `python benchmarks/bench_flow.py [--T 5] [--quick]`. Ratios are taken in one process;
odefun is timed once per case (it takes minutes), ours as the median of 3.
"""

import argparse
import time

import mpmath
from _harness import median_seconds, report

from theory_check import balanced_teacher, random_student
from theory_check.flow import integrate

parser = argparse.ArgumentParser()
parser.add_argument("--T", type=float, default=5.0)
parser.add_argument("--quick", action="store_true", help="only the d=2 case (dps 30 and 50)")
parser.add_argument("--scaling", action="store_true", help="only the cost-vs-dps and cost-vs-d table")
args, _ = parser.parse_known_args()

teacher = balanced_teacher([0.9, -0.5], [1.0, 1.0])
cases = [("full", 2, 4), ("full", 4, 6), ("diagonal", 8, 6)]
dpss = (30, 50)
if args.quick:
    cases = cases[:1]
if args.scaling:
    cases = []
rows = []
for param, d, k in cases:
    s = random_student(d, 0.5, 1, kind=param)
    for dps in dpss:
        def ours(s=s, dps=dps, param=param, k=k):
            return integrate(s, teacher, k, args.T, method="taylor", param=param, dps=dps)

        def fixed_only(s=s, dps=dps, param=param, k=k):
            return integrate(s, teacher, k, args.T, method="taylor", param=param, dps=dps, mixed=False)

        t0 = time.perf_counter()
        ref = integrate(s, teacher, k, args.T, method="odefun", param=param, dps=dps, n_out=1)
        t_ode = time.perf_counter() - t0
        tr = ours()
        with mpmath.workdps(2 * dps):
            agree = max(float(abs(a - b)) for x, y in zip(tr.final_state, ref.final_state)
                        for a, b in zip(x.ravel(), y.ravel()))
        assert agree <= 10.0 ** (-dps + 5), agree
        t_ours = median_seconds(ours, repeats=3, warmup=0)
        t_fixed = median_seconds(fixed_only, repeats=1, warmup=0)
        t_dop = median_seconds(lambda s=s, param=param, k=k: integrate(
            s, teacher, k, args.T, method="dop853", param=param), repeats=3, warmup=0)
        rows.append({"param": param, "d": d, "k": k, "T": args.T, "dps": dps, "steps": tr.steps,
                     "order": tr.settings["order"], "taylor_s": t_ours, "taylor_fixed_only_s": t_fixed,
                     "odefun_s": t_ode, "speedup_vs_odefun": t_ode / t_ours, "dop853_s": t_dop,
                     "end_state_agreement": agree})
        print(rows[-1], flush=True)
if rows:
    report("flow", rows, backend=mpmath.libmp.BACKEND, T=args.T)

# How the Taylor integrator's cost grows with dps and with d (one run each, same T).
if args.scaling or not args.quick:
    scale_rows = []
    grid = [("full", 4, 6, dps) for dps in (20, 30, 50, 70, 100)]
    grid += [("full", d, 6, 30) for d in (2, 4, 6, 8)] + [("diagonal", d, 6, 30) for d in (10, 20, 40)]
    for param, d, k, dps in grid:
        s = random_student(d, 0.5, 1, kind=param)
        t0 = time.perf_counter()
        tr = integrate(s, teacher, k, args.T, method="taylor", param=param, dps=dps)
        scale_rows.append({"param": param, "d": d, "k": k, "dps": dps, "T": args.T, "steps": tr.steps,
                           "order": tr.settings["order"], "seconds": time.perf_counter() - t0,
                           "max_Q_drift_rel": tr.max_q_drift_rel})
        print(scale_rows[-1], flush=True)
    report("flow_scaling", scale_rows, backend=mpmath.libmp.BACKEND, T=args.T)
