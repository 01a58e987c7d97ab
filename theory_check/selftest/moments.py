"""Sabotages of the moments engine (`theory_check.moments`); each registered with `@sabotage`.

They break one layer at a time: the exact rational layer (`_exact`: next-moment intervals, PSD
ranks, atomic moments), the SDP layer (`_sdp.solve_sdp`, the solver itself), the R path, and the
public `identify`. Exact sabotages keep Fractions exact, so the rational checks see them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import cvxpy as cp
import numpy as np

from theory_check.moments import _api, _exact, _lp, _sdp
from theory_check.results import Status
from theory_check.selftest import patch_everywhere, patch_many, sabotage


def _interval(change: Any) -> Any:
    """Patch `_exact.next_moment_interval` to return `change(lo, hi)` for bounded intervals."""
    original = _exact.next_moment_interval

    def next_moment_interval(m, support):
        lo, hi = original(m, support)
        if lo is None or hi is None:
            return lo, hi
        return change(lo, hi)

    return patch_everywhere(_exact, "next_moment_interval", next_moment_interval)


@sabotage("moments.interval_halved", engine="moments",
          description="exact next-moment interval [lo, hi] returned as [lo, (lo+hi)/2]")
def interval_halved() -> Any:
    return _interval(lambda lo, hi: (lo, (lo + hi) / 2))


@sabotage("moments.interval_narrowed", engine="moments",
          description="exact next-moment interval shrunk by 10 % of its width at each end",
          quick=False)
def interval_narrowed() -> Any:
    return _interval(lambda lo, hi: (lo + (hi - lo) / 10, hi - (hi - lo) / 10))


@sabotage("moments.interval_widened", engine="moments",
          description="exact next-moment interval widened by 10 % of its width at each end",
          quick=False)
def interval_widened() -> Any:
    return _interval(lambda lo, hi: (lo - (hi - lo) / 10, hi + (hi - lo) / 10))


@sabotage("moments.rank_minus_one", engine="moments",
          description="exact psd_rank reports a definite matrix as rank size-1 (false singularity)",
          quick=False)
def rank_minus_one() -> Any:
    original = _exact.psd_rank

    def psd_rank(M):
        psd, r = original(M)
        return psd, (r - 1 if r == len(M) and r > 0 else r)

    return patch_everywhere(_exact, "psd_rank", psd_rank)


@sabotage("moments.rank_plus_one", engine="moments",
          description="exact psd_rank reports a singular matrix as one rank higher (misses the kernel)",
          quick=False)
def rank_plus_one() -> Any:
    original = _exact.psd_rank

    def psd_rank(M):
        psd, r = original(M)
        return psd, min(r + 1, len(M))

    return patch_everywhere(_exact, "psd_rank", psd_rank)


@sabotage("moments.moments_perturbed", engine="moments",
          description="atomic moments m_2 multiplied by 1 + 10⁻³ (perturbed input moments)",
          quick=False)
def moments_perturbed() -> Any:
    original = _exact.atomic_moments

    def atomic_moments(atoms, weights, n):
        m = original(atoms, weights, n)
        if n > 2:
            m = list(m)
            m[2] = m[2] * (Fraction(1001, 1000) if isinstance(m[2], Fraction) else 1.001)
        return m

    return patch_everywhere(_exact, "atomic_moments", atomic_moments)


@sabotage("moments.solver_nan", engine="moments",
          description="the SDP solve reports status optimal with value and solution NaN")
def solver_nan() -> Any:
    original = _sdp.solve_sdp

    def solve_sdp(prog, a, sense, solver):
        r = dict(original(prog, a, sense, solver))
        r["value"] = math.nan
        if "c" in r:
            r["c"] = r["c"] * math.nan
            r["dual_value"] = math.nan
        return r

    return patch_everywhere(_sdp, "solve_sdp", solve_sdp)


@sabotage("moments.solver_raises", engine="moments",
          description="every cvxpy solve (Clarabel, SCS, grid SOCP) raises SolverError", quick=False)
def solver_raises() -> Any:
    def solve(self, *args, **kwargs):
        raise cp.error.SolverError("sabotage: solver unavailable")

    return patch_everywhere(cp.Problem, "solve", solve)


@sabotage("moments.sdp_narrowed", engine="moments",
          description="the SDP optimum moved 10 % of |value| + 10⁻³ inward (an outer bound too tight)",
          quick=False)
def sdp_narrowed() -> Any:
    original = _sdp.solve_sdp

    def solve_sdp(prog, a, sense, solver):
        r = dict(original(prog, a, sense, solver))
        if math.isfinite(r.get("value", math.nan)):
            r["value"] = r["value"] + 0.1 * abs(r["value"]) + 1e-3  # both senses: minimizes a·c sense-wise
        return r

    return patch_everywhere(_sdp, "solve_sdp", solve_sdp)


@sabotage("moments.R_bounded", engine="moments",
          description="on R the interval of m_q comes back finite ([w_0, 2w_0], status certified)")
@contextmanager
def r_bounded() -> Iterator[None]:
    def interval_on_R(w, q, eps, norm, solver, ev, mem, exact):
        lo, hi = Fraction(w[0]), 2 * Fraction(w[0])
        return _api.MomentInterval(q, float(lo), float(hi), float(hi - lo), Status.CERTIFIED,
                                   "sabotage", dict(ev), float(lo), float(hi))

    with patch_everywhere(_api, "_interval_on_R", interval_on_R):
        yield


@sabotage("moments.identify_theorem", engine="moments",
          description="identify returns the theorem's prediction: identified iff k ≥ 2d̂+1, "
                      "minimal_k = 2d̂+1 (no computation)")
def identify_theorem() -> Any:
    original = _api.identify

    def identify(atoms, weights=None, k=None, support="unit", **kw):
        r = original(atoms, weights, k, support, **kw)
        d_hat = len(atoms) if weights is not None else r.evidence.get("d_hat", 1)
        ident = k >= 2 * d_hat + 1
        return _api.Identification(ident, Fraction(0) if ident else r.width, 2 * d_hat + 1,
                                   "exact", None if ident else r.counterexample, Status.EXACT,
                                   r.evidence)

    return patch_everywhere(_api, "identify", identify)


@sabotage("moments.lp_shifted", engine="moments",
          description="certified LP path: the upper end (inner and outer) moved down by 5 % of the width")
def lp_shifted() -> Any:
    original = _lp.certified_interval

    def certified_interval(w, q, rho, eps, *args, **kwargs):
        out = original(w, q, rho, eps, *args, **kwargs)
        lo, hi = out["lower"], out["upper"]
        if all(v is not None for v in (lo["outer"], hi["outer"], hi["inner"])):
            shift = (hi["outer"] - lo["outer"]) / 20
            out["upper"] = {**hi, "outer": hi["outer"] - shift, "inner": hi["inner"] - shift}
        return out

    return patch_everywhere(_lp, "certified_interval", certified_interval)


@sabotage("moments.kkt_dual_unshifted", engine="moments",
          description="multiprecision KKT path: the dual y scaled by 0.999 and the shift τ that "
                      "makes its polynomial nonnegative dropped (an outer bound that is not one)")
def kkt_dual_unshifted() -> Any:
    from theory_check.moments import _kkt
    original = _kkt.certify

    def certify(p, d, e, q, s, target):
        bad = _kkt.Polished(p.atoms, p.weights, [v * 0.999 for v in p.y], p.interior, p.active,
                            p.signs, p.residual, p.steps, p.prec)
        return original(bad, d, e, q, s, target)

    return patch_many(patch_everywhere(_kkt, "certify", certify),
                      patch_everywhere(_kkt, "lower_bound", lambda *a, **k: Fraction(0)))


@sabotage("moments.kkt_l2_dual_unshifted", engine="moments",
          description="l2 KKT path: the dual y scaled by 0.999 and its shift τ dropped (an outer "
                      "bound that is not one; no default claim rests on the l2 path yet)",
          quick=False)
def kkt_l2_dual_unshifted() -> Any:
    from theory_check.moments import _kkt_l2

    def dual_certificate(y, d, c, eps, q, s, touch, target, prec=256):
        bad = [v * Fraction(999, 1000) for v in y]
        return Fraction(0), _kkt_l2.outer_from_dual(bad, Fraction(0), d, c, eps, max(256, prec))

    return patch_everywhere(_kkt_l2, "dual_certificate", dual_certificate)


@sabotage("moments.ipm_structure_wrong", engine="moments",
          description="interior-point grid LP: every active row reported at the wrong side and "
                      "the support moved one grid point (a wrong structure: the exact checks must "
                      "refuse it; no default claim takes this route, radii spanning decades)",
          quick=False)
def ipm_structure_wrong() -> Any:
    import dataclasses

    from theory_check.moments import _ipm
    original = _ipm.ipm_grid_solve

    def ipm_grid_solve(d, e, q, s, *args, **kwargs):
        g, viol = original(d, e, q, s, *args, **kwargs)
        if not g.x.size:
            return g, viol
        return dataclasses.replace(g, x=np.roll(g.x, 1),
                                   sides=tuple(-v for v in g.sides)), viol

    return patch_everywhere(_ipm, "ipm_grid_solve", ipm_grid_solve)
