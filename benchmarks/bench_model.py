"""Impulse response: repeated products u ← A u (ours) vs a matrix power per j (baseline)."""

import numpy as np
from _harness import median_seconds, report

from theory_check import random_student

rows = []
for d, n in [(4, 100), (40, 100), (40, 1000), (200, 1000)]:
    s = random_student(d, 0.9, 0)

    def ours(s=s, n=n):
        return s.impulse_response(n)

    def baseline(s=s, n=n):
        return [float((s.C @ np.linalg.matrix_power(s.A, j) @ s.B)[0, 0]) for j in range(n)]

    np.testing.assert_allclose(ours(), baseline(), rtol=1e-8, atol=1e-12)
    t_ours = median_seconds(ours)
    t_base = median_seconds(baseline, repeats=3)
    rows.append({"d": d, "n": n, "ours_s": t_ours, "matrix_power_s": t_base,
                 "speedup": t_base / t_ours})
report("impulse_response", rows)
