"""Box intervals with eps > 0 at k = 10 … 80 and radii down to 1e-30: the multiprecision KKT
path (`_kkt`, the default) vs the previous grid-LP certificate (`_lp.lp_bound` alone, the
baseline), in one process, medians over repeats.

Accuracy: each certified interval must contain the exact eps = 0 interval (arcsine law: closed
form width 2^k Π p_i(1-p_i), p_i = 1/2) resp. the teacher's own moment; the gap column is
max(outer - inner) / width, the part of the interval not pinned down.

Run: `python benchmarks/bench_moments_kkt.py [k ...]`.
"""

import math
import sys
import time
from fractions import Fraction as F

from _harness import median_seconds, report

from theory_check.moments import _lp, moment_interval

KS = [int(a) for a in sys.argv[1:]] or [10, 20, 40, 60, 80]


def arcsine(k):
    return [F(math.comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]


def uniform(k, rho=F(1)):
    return [F(rho**j, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


def gauss(k):
    return [F(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else F(0) for j in range(k)]


def old_path(w, q, eps, rho=F(1)):
    """The previous path: the grid-LP certificate only (no KKT polish)."""
    return _lp.certified_interval(w, q, rho, eps, kkt=False)


def old_status(out):
    ok = all(out[t]["inner"] is not None and out[t]["outer"] is not None for t in ("lower", "upper"))
    return "certified" if ok else "inconclusive"


rows = []
cases = [(f"arcsine k={k}", arcsine(k), k, 1e-6, "unit") for k in KS]
cases += [(f"uniform [-2,2] k={k}", uniform(k, F(2)), k, 1e-6, 2) for k in sorted({*KS, 28})]
cases += [(f"arcsine k={k}", arcsine(k), k, 1e-30, "unit") for k in (10, 20, 40)]
cases += [(f"λ̂=9/10 k=3 q={q}", [F(9, 10) ** j for j in range(3)], q, d, "unit")
          for q in (10, 40, 80) for d in (1e-4, 1e-10, 1e-30)]
cases += [(f"N(0,1) on R k={k}", gauss(k), k, d, "real") for k in (10, 20, 28, 40) for d in (1e-6, 1e-30)]
for name, w, q, eps, support in cases:
    t0 = time.perf_counter()
    r = moment_interval(w, q, support, eps, "box")
    first = time.perf_counter() - t0
    t_new = first if first > 5 else median_seconds(lambda w=w, q=q, e=eps, S=support: moment_interval(
        w, q, S, e, "box"), repeats=3, warmup=0)
    if name.startswith("λ̂"):
        ok_exact = bool(r.lower <= F(9, 10) ** q <= r.upper)
    else:
        ex = moment_interval(w, q, support)
        ok_exact = bool(r.lower <= ex.lower and ex.upper <= r.upper)
    if support == "real":
        certified = r.solver == "kkt+flint"
        gap = float(r.inner_lower - r.lower) / abs(float(r.lower)) if certified else math.nan
        rows.append({"case": name, "eps": eps, "status": "lower certified" if certified else
                     "lower inconclusive", "engines": r.solver, "width": math.inf,
                     "contains_exact": ok_exact, "gap_rel": gap, "kkt_s": t_new,
                     "old_status": "SDP only", "old_s": math.nan, "old_over_new": math.nan})
        print(rows[-1], flush=True)
        continue
    gap = (max(float(r.inner_lower - r.lower), float(r.upper - r.inner_upper)) / float(r.width)
           if r.status == "certified" else math.nan)
    rho = F(1) if support == "unit" else F(support)
    t0 = time.perf_counter()
    o = old_path(w, q, F(eps), rho)
    t_old = time.perf_counter() - t0
    rows.append({"case": name, "eps": eps, "status": str(r.status),
                 "engines": f"{r.evidence.get('min.engine')}/{r.evidence.get('max.engine')}",
                 "width": float(r.width), "contains_exact": ok_exact, "gap_rel": gap,
                 "kkt_s": t_new, "old_status": old_status(o), "old_s": t_old,
                 "old_over_new": t_old / t_new})
    print(rows[-1], flush=True)
report("moments_kkt", rows)
