"""l2 intervals with eps > 0 (`Σ_j (m_j - w_j)² ≤ eps`, eps the squared radius) at k = 10 … 80
on [-1, 1], and at k = 10 … 40 on [-2, 2] (uniform law, w_j = 2^j/(j + 1): weights c_n = 4^n
in the scaled problem, radii spanning decades):
the certified multiprecision KKT path (`_kkt_l2.l2_interval`, the default of `moment_interval`
since it was wired in) vs the previous path `moment_interval(w, q, 'unit', eps, 'l2',
method='sdp')` (SDP over the cone sandwiched by a grid SOCP, the baseline), in one process,
medians over 3 repeats (one run where a run takes > 5 s).

Accuracy: a certified interval must contain the exact eps = 0 interval (resp. the teacher's own
moment); gap = max(outer - inner) / width over both ends, the part not pinned down.
A baseline that took > BASE_CAP seconds at some k is not run at larger k for that law and eps
(it is reported as skipped, with the time that decided it).

Run: `python benchmarks/bench_moments_l2.py [k ...]` (the k of the [-1, 1] cases; the [-2, 2]
ones are fixed, KS2).
"""

import math
import sys
import time
from fractions import Fraction as F

from _harness import median_seconds, report

from theory_check.moments import moment_interval
from theory_check.moments._kkt_l2 import l2_interval

KS = [int(a) for a in sys.argv[1:]] or [10, 20, 40, 80]
KS2 = [10, 20, 28, 40]   # [-2, 2] uniform, eps = 1e-6
BASE_CAP = 60.0


def arcsine(k):
    return [F(math.comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]


def uniform(k):
    return [F(1, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


def uniform2(k):
    return [F(2**j, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


def timed(fn):
    """(result, seconds): one run, then the median of 3 if that run took ≤ 5 s."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    return out, (first if first > 5 else median_seconds(fn, repeats=3, warmup=0))


cases = [(f"{law} k={k}", law, fn(k), k, F(eps), 1) for law, fn in (("arcsine", arcsine),
                                                                      ("uniform", uniform))
         for eps in (1e-6, 1e-12) for k in KS]
cases += [(f"λ̂=9/10 k=3 q={q}", "teacher", [F(9, 10) ** j for j in range(3)], q, F(1e-8), 1)
          for q in (10, 40, 80)]
cases += [(f"uniform[-2,2] k={k}", "uniform2", uniform2(k), k, F(1e-6), 2) for k in KS2]
rows = []
slow: dict[tuple[str, float], float] = {}
for name, law, w, q, eps, rho in cases:
    support = "unit" if rho == 1 else rho
    r, t_new = timed(lambda w=w, q=q, e=eps, rho=rho: l2_interval(w, q, F(rho), e))
    lo, hi = r["lower"], r["upper"]
    cert = lo.inner is not None and hi.inner is not None
    status = "certified" if cert else f"upper: {hi.status}; lower: {lo.status}"
    width = gap = math.nan
    contains = None
    if cert:
        lower, upper = -lo.outer * rho**q, hi.outer * rho**q
        width = float(upper - lower)
        gap = float(max(lo.outer - lo.inner, hi.outer - hi.inner) * rho**q) / width
        if law == "teacher":
            contains = bool(lower <= F(9, 10) ** q <= upper)
        else:
            ex = moment_interval(w, q, support)
            contains = bool(lower <= ex.lower and ex.upper <= upper)
    key = (law, float(eps))
    if key in slow and law != "teacher":
        b_status, t_old, agree = f"skipped (took {slow[key]:.0f} s at smaller k)", math.nan, math.nan
    else:
        b, t_old = timed(lambda w=w, q=q, e=eps, S=support: moment_interval(
            w, q, S, float(e), "l2", method="sdp"))
        b_status = str(b.status)
        # the baseline's (float) ends against the certified ones, in units of the width
        agree = (max(abs(float(b.upper - upper)), abs(float(b.lower - lower))) / width
                 if cert else math.nan)
        if t_old > BASE_CAP:
            slow[key] = t_old
    rows.append({"case": name, "eps": float(eps), "status": status, "width": width,
                 "gap_rel": gap, "contains_exact": contains, "l2kkt_s": t_new,
                 "base_status": b_status, "base_s": t_old, "base_vs_cert": agree,
                 "base_over_new": t_old / t_new})
    print(rows[-1], flush=True)
report("moments_l2", rows)
