"""Moment intervals for k = 10 … 80 against closed forms: the exact rational path (default) vs the
SDP sandwich (the previous path, `exact=False`), on [-1, 1], [-2, 2] and R; and the certified LP
path for box worst cases (`method='lp'`) vs the SDP sandwich. Medians over repeats, one process.

Closed forms: the width of the m_k interval given m_0 … m_{k-1} on [-1, 1] is
`2^k Π_{i<k} p_i (1 - p_i)` in canonical moments (uniform law: p_(2i-1) = 1/2, p_(2i) =
i/(2i+1); arcsine: p_i = 1/2), times ρ^k on [-ρ, ρ]; on R the least m_(2n) given
m_0 … m_(2n-1) of N(0, 1) is (2n-1)!! - n! (Hankel determinants of the Gaussian: Π i!).
"""

import math
import sys
from fractions import Fraction as F

from _harness import median_seconds, report

from theory_check.moments import moment_interval, worst_case_extrapolation

KS = [int(a) for a in sys.argv[1:]] or [10, 20, 30, 40, 60, 80]
SDP_MAX_K = 60   # the SDP path beyond this takes minutes per interval


def uniform(k, rho=F(1)):
    return [F(rho**j, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


def arcsine(k):
    return [F(math.comb(j, j // 2), 2**j) if j % 2 == 0 else F(0) for j in range(k)]


def width(k, p, rho=F(1)):
    out = F(2**k) * rho**k
    for i in range(1, k):
        out *= p(i) * (1 - p(i))
    return out


def p_uniform(i):
    return F(1, 2) if i % 2 else F(i // 2, i + 1)


def gauss(k):
    return [F(math.prod(range(j - 1, 0, -2))) if j % 2 == 0 else F(0) for j in range(k)]


rows = []
for k in KS:
    for name, m, closed, support in (
            ("uniform [-1,1]", uniform(k), width(k, p_uniform), "unit"),
            ("arcsine [-1,1]", arcsine(k), width(k, lambda i: F(1, 2)), "unit"),
            ("uniform [-2,2]", uniform(k, F(2)), width(k, p_uniform, F(2)), 2)):
        r = moment_interval(m, k, support)
        t_exact = median_seconds(lambda m=m, s=support, k=k: moment_interval(m, k, s), repeats=3)
        row = {"law": name, "k": k, "closed_form_width": float(closed),
               "exact_status": str(r.status), "exact_width_equals_closed_form": r.width == closed,
               "exact_s": t_exact}
        if k <= SDP_MAX_K:
            rs = moment_interval(m, k, support, exact=False)
            t_sdp = median_seconds(lambda m=m, s=support, k=k: moment_interval(m, k, s, exact=False),
                                   repeats=1 if k >= 40 else 3, warmup=0)
            row.update({"sdp_status": str(rs.status),
                        "sdp_rel_err": abs(float(rs.width) - float(closed)) / float(closed),
                        "sdp_s": t_sdp, "sdp_over_exact": t_sdp / t_exact})
        else:
            row.update({"sdp_status": "not run", "sdp_rel_err": math.nan, "sdp_s": math.nan,
                        "sdp_over_exact": math.nan})
        rows.append(row)
    # R: the Gaussian, k = 2n odd count of moments m_0..m_(2n-1) -> least m_(2n)
    n = k // 2
    m = gauss(2 * n)
    r = moment_interval(m, 2 * n, "real")
    closed_lo = F(math.prod(range(2 * n - 1, 0, -2)) - math.factorial(n))
    rows.append({"law": "N(0,1) on R (least m_k)", "k": 2 * n, "closed_form_width": math.inf,
                 "exact_status": str(r.status), "exact_width_equals_closed_form": r.lower == closed_lo,
                 "exact_s": median_seconds(lambda m=m, n=n: moment_interval(m, 2 * n, "real"), repeats=3),
                 "sdp_status": "—", "sdp_rel_err": math.nan, "sdp_s": math.nan,
                 "sdp_over_exact": math.nan})
report("moment_interval_k10_80", rows)

# Box worst cases (C7, F7): certified LP path vs SDP sandwich, teacher 9/10 (k = 3), δ = 1e-4.
rows = []
for q in (10, 20, 40):
    def lp(q=q):
        return worst_case_extrapolation(["9/10"], ["1"], 3, q, 1e-4)

    r = lp()
    row = {"q": q, "lp_status": str(r.status), "lp_value_over_delta": r.value / 1e-4,
           "lp_inner_over_delta": r.evidence["value_inner"] / 1e-4,
           "sdp_fallbacks": r.evidence["sdp_fallbacks"], "lp_s": median_seconds(lp, repeats=1, warmup=0)}
    if q <= 20:
        def sdp(q=q):
            return worst_case_extrapolation(["9/10"], ["1"], 3, q, 1e-4, method="sdp")
        rs = sdp()
        row.update({"sdp_status": str(rs.status), "sdp_value_over_delta": rs.value / 1e-4,
                    "sdp_s": median_seconds(sdp, repeats=1, warmup=0)})
    else:
        row.update({"sdp_status": "not run (> 10 min at q = 80)", "sdp_value_over_delta": math.nan,
                    "sdp_s": math.nan})
    rows.append(row)
report("worst_case_lp_vs_sdp", rows)
