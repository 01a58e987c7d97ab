"""Interval SDP (m_k given m_0..m_{k-1}, min and max + grid-LP sandwich): seconds, and accuracy of
the Chebyshev formulation (ours) vs raw monomials (baseline) against exact Schur complements."""

from fractions import Fraction as F

from _harness import median_seconds, report

from theory_check.moments import moment_interval
from theory_check.moments._exact import next_moment_interval


def uniform(k):
    return [F(1, j + 1) if j % 2 == 0 else F(0) for j in range(k)]


rows = []
for k in (5, 10, 15, 20, 30, 40):
    m = uniform(k)
    lo, hi = next_moment_interval(m, (F(-1), F(1)))
    exact = float(hi - lo)

    def ours(m=m, k=k):
        return moment_interval(m, k, exact=False)

    def mono(m=m, k=k):
        return moment_interval(m, k, exact=False, basis="monomial")

    r_c, r_m = ours(), mono()
    rows.append({"k": k, "exact_width": exact, "cheb_resolved": r_c.evidence["width_resolved"],
                 "mono_resolved": r_m.evidence["width_resolved"],
                 "cheb_rel_err": abs(r_c.width - exact) / exact, "cheb_status": r_c.status,
                 "mono_rel_err": abs(r_m.width - exact) / exact, "mono_status": r_m.status,
                 "cheb_s": median_seconds(ours, repeats=3),
                 "mono_s": median_seconds(mono, repeats=3)})
report("moment_interval_uniform", rows)

rows = []
for d in range(1, 11):
    atoms = [F(2 * i + 1 - d, d + 1) for i in range(d)]
    k = 2 * d  # not identified: the SDP path is taken
    m = [sum(F(1, d) * a**j for a in atoms) for j in range(k)]

    def run(m=m, k=k):
        return moment_interval(m, k, exact=False)

    r = run()
    lo, hi = next_moment_interval(m, (F(-1), F(1)))
    rows.append({"d_hat": d, "k": k, "status": r.status,
                 "rel_err": abs(r.width - float(hi - lo)) / float(hi - lo),
                 "seconds": median_seconds(run, repeats=3)})
report("moment_interval_teachers", rows)
