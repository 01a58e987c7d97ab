"""Public entry points of `theory_check.moments` (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from theory_check._validate import check_choice, check_int, check_real
from theory_check.model import LinearRNN, balanced_teacher, minimal_realization
from theory_check.moments import _exact as ex
from theory_check.moments._basis import chebyshev_moments, mono_to_cheb
from theory_check.moments._sdp import (
    SANDWICH_ATOL,
    SANDWICH_RTOL,
    SOLVERS,
    Program,
    build_program,
    grid_inner,
    objective_row,
    pencil_atoms,
    solve_sdp,
)
from theory_check.results import NotebookRepr, Status

INF = math.inf
RESIDUAL_TOL = 1e-6   # largest acceptable constraint residual / negative eigenvalue (scaled units)
INNER_SLACK = 1e-2    # × the data's tolerance: the most a sandwich's grid measure may exceed it


def parse_support(support: str | float | Fraction | int) -> tuple[Fraction, Fraction] | None:
    """'real' → None (R); 'unit' → [-1, 1]; a number ρ > 0 (or '3/2') → [-ρ, ρ]."""
    if isinstance(support, str) and support.strip().lower() in ("real", "r"):
        return None
    if isinstance(support, str) and support.strip().lower() in ("unit", "hausdorff"):
        return (Fraction(-1), Fraction(1))
    rho = ex.to_fraction("support", support)
    if rho <= 0:
        raise ValueError(f"support must be 'real', 'unit' or a radius ρ > 0; got {support!r}")
    return (-rho, rho)


def _support_text(s: tuple[Fraction, Fraction] | None) -> str:
    return "R" if s is None else f"[{s[0]}, {s[1]}]"


Number = Fraction | float


def _exact_text(x: Any) -> str | None:
    """The exact decimal-free text of a rational result ('1/16'), None for a float result."""
    return str(x) if isinstance(x, Fraction) else None


def _show(x: Any, digits: int = 10) -> str:
    """A number for humans: a short Fraction as 'p/q', else `digits` significant digits."""
    if isinstance(x, Fraction) and len(str(x)) <= 32:
        return str(x)
    return f"{float(x):.{digits}g}"


@dataclass(frozen=True)
class MomentInterval(NotebookRepr):
    """The range [lower, upper] of m_q over nonnegative measures on S matching the data.

    `status` (`results.Status`): EXACT (rational arithmetic; lower/upper/width are `Fraction`s),
    CERTIFIED (SDP outer and inner bounds agree within `evidence['sandwich_tol']`), UNBOUNDED
    (a certificate of unboundedness in `evidence['certificate']`), or UNDECIDED ('inconclusive',
    see `evidence['reason']`). `inner_*` are values attained by explicit measures (`witnesses`).
    """

    q: int
    lower: Number
    upper: Number
    width: Number
    status: Status
    solver: str
    evidence: dict[str, Any] = field(default_factory=dict)
    inner_lower: Number = math.nan
    inner_upper: Number = math.nan
    witnesses: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """{q, lower, upper, width, status, solver, evidence} for the CLI.

        Numbers are floats; an exact (rational) result also carries `lower_exact`, `upper_exact`,
        `width_exact` as strings 'p/q' (null otherwise). Infinite bounds follow `results.jsonable`:
        the strings 'inf' / '-inf'.
        """
        from theory_check.results import jsonable
        return jsonable({"q": self.q, "lower": float(self.lower), "upper": float(self.upper),
                         "width": float(self.width), "lower_exact": _exact_text(self.lower),
                         "upper_exact": _exact_text(self.upper),
                         "width_exact": _exact_text(self.width), "status": self.status,
                         "solver": self.solver,
                         "evidence": {**self.evidence, "inner_lower": float(self.inner_lower),
                                      "inner_upper": float(self.inner_upper)}})


def _check_common(k: int, q: int, eps: float, norm: str, solver: str) -> None:
    check_int("q", q, minimum=k)
    check_real("eps", eps, minimum=0.0)
    check_choice("norm", norm, ("l2", "box"))
    check_choice("solver", solver.upper(), SOLVERS)


def _mpf(x: Any) -> float:
    return float(x)


def moment_interval(moments: Sequence[Any], q: int, support: Any = "unit", eps: float = 0.0,
                    norm: str = "l2", *, solver: str = "CLARABEL", basis: str = "chebyshev",
                    exact: bool = True, rounding: bool = False, method: str = "auto"
                    ) -> MomentInterval:
    """Range of m_q over nonnegative μ on S whose first k = len(moments) moments match the data
    (eps = 0) or lie within eps (l2: `Σ_j (m_j - w_j)² ≤ eps`, i.e. L_k ≤ eps; box: `|m_j - w_j| ≤ eps`).

    Every input number is taken exactly (a float is the dyadic rational it stores). With
    `exact=True` (default), eps = 0 is decided in rational arithmetic where that is possible:
    cone membership (always), determinate data (a boundary point: m_q by the exact recursion of
    the unique measure) and q = k (Schur complements); on R with eps > 0 unboundedness by an
    explicit perturbation. Otherwise an SDP over the cone in `basis` ('chebyshev' or 'monomial',
    the latter a baseline) gives the outer values and explicit measures the inner ones.
    Raises ValueError for data that no nonnegative measure on S has; with `rounding=True` float
    data just outside the cone are instead read within their rounding error (a tolerance path:
    box `|m_j - w_j| ≤ 16 (j+1) 2^-53 max_{i≤j}|w_i|`, answered by the SDP sandwich).
    `method`: 'auto' (for eps > 0 on [-ρ, ρ] the certified paths: box by `_lp`/`_kkt`, l2 by
    `_kkt_l2`, the SDP where l2 does not certify; else the SDP), 'lp' or 'sdp'. The certified
    paths enclose each end between an exactly verified measure and an exactly verified dual
    polynomial: their bounds are exact rationals.
    """
    if len(moments) < 1:
        raise ValueError("moments must hold at least m_0 (k >= 1)")
    w = [ex.to_fraction(f"moments[{j}]", v) for j, v in enumerate(moments)]
    k = len(w)
    _check_common(k, q, eps, norm, solver)
    check_choice("basis", basis, ("chebyshev", "monomial"))
    check_choice("method", method, ("auto", "lp", "sdp"))
    S = parse_support(support)
    solver = solver.upper()
    base_ev: dict[str, Any] = {"k": k, "support": _support_text(S), "eps": eps, "norm": norm,
                               "basis": basis}
    mem = ex.membership(w, S)
    base_ev["block_ranks"] = {n: f"{r}/{s}" for n, (r, s) in mem.ranks.items()}
    if not mem.feasible and eps == 0:
        floats = not all(ex.is_exact(v) for v in moments)
        if rounding and floats:
            if S is None:
                return MomentInterval(q, -INF, INF, INF, Status.UNDECIDED, "none", {
                    **base_ev, "reason": f"float data violate the moment cone of R ({mem.violated}), "
                    "possibly by rounding only; determinacy on R is decided by exact rank and "
                    "cannot be decided from these rounded data"})
            return _rounded_data_interval(w, q, S, solver, basis, base_ev, mem.violated or "")
        hint = (" (float data are taken exactly; rounding=True reads them within their "
                "rounding error)" if floats else "")
        raise ValueError(f"infeasible: no nonnegative measure on {_support_text(S)} has these "
                         f"moments ({mem.violated}){hint}")
    if eps == 0:
        if w[0] == 0:
            return MomentInterval(q, Fraction(0), Fraction(0), Fraction(0), Status.EXACT, "rational",
                                  {**base_ev, "reason": "m_0 = 0: the zero measure"})
        if not mem.interior:
            return _determinate(w, q, S, base_ev)
        if exact and q == k:
            lo, hi = ex.next_moment_interval(w, S)
            lo_v: Number = -INF if lo is None else lo
            hi_v: Number = INF if hi is None else hi
            width: Number = INF if lo is None or hi is None else hi - lo
            bounded = lo is not None and hi is not None
            return MomentInterval(q, lo_v, hi_v, width, Status.EXACT if bounded else Status.UNBOUNDED,
                                  "rational", {**base_ev, "reason": "interior data: next-moment range "
                                               "by exact Schur complements", **({} if bounded else {
                                                   "certificate": "Hankel matrix of the data definite "
                                                   "(exact): every larger m_k is attained (Hamburger)"})},
                                  lo_v, hi_v)
    if S is None:
        return _interval_on_R(w, q, eps, norm, solver, base_ev, mem, exact)
    if method == "lp" or (method == "auto" and norm == "box" and eps > 0):
        if S is None:
            raise ValueError("method='lp' needs a bounded support")
        if norm != "box" and eps > 0:
            raise ValueError("method='lp' needs norm='box' (or eps = 0)")
        return _lp_interval(w, q, S, Fraction(eps), base_ev)
    if method == "auto" and norm == "l2" and eps > 0:
        r = _l2_interval(w, q, S, Fraction(eps), base_ev)
        if r is not None:
            return r
    rho = S[1]
    prog = build_program(w, q, rho, eps, norm, basis)
    return _sandwich(prog, w, q, solver, base_ev)


def _l2_interval(w: list[Fraction], q: int, S: tuple[Fraction, Fraction], eps: Fraction,
                 ev: dict[str, Any]) -> MomentInterval | None:
    """The m_q interval under `Σ_j (m_j - w_j)² ≤ eps` by the certified l2 KKT path (`_kkt_l2`):
    each end between an exactly verified measure (inner) and a rational dual polynomial with a
    Cauchy–Schwarz bound (outer), exact rationals. None where an end does not certify or the
    two are more than LP_RTOL·width + LP_ATOL·m_0·ρ^q apart (the SDP sandwich follows)."""
    from theory_check.moments._kkt_l2 import l2_interval
    rho = S[1]
    try:
        out = l2_interval(w, q, rho, eps)
    except (ArithmeticError, ValueError):
        return None
    hi, lo = out["upper"], out["lower"]
    if any(b.inner is None or b.outer is None for b in (hi, lo)):
        return None
    scale = rho**q
    upper, inner_upper = hi.outer * scale, hi.inner * scale
    lower, inner_lower = -lo.outer * scale, -lo.inner * scale
    width = upper - lower
    tol = Fraction(LP_RTOL) * abs(width) + Fraction(LP_ATOL) * abs(w[0]) * scale
    gaps = {"min": inner_lower - lower, "max": upper - inner_upper}
    if any(g < 0 or g > tol for g in gaps.values()):
        return None
    ev = {**ev, "method": "kkt", "min.engine": "kkt", "max.engine": "kkt",
          "min.status": lo.status, "max.status": hi.status, "min.tau": lo.tau, "max.tau": hi.tau,
          "min.prec_bits": lo.prec, "max.prec_bits": hi.prec,
          "sandwich_gap": {t: float(g) for t, g in gaps.items()}, "sandwich_tol": float(tol),
          "sandwich_rule": f"outer - inner ≤ {LP_RTOL:g}·width + {LP_ATOL:g}·m_0·ρ^q "
          "(exact rationals)",
          "certificate": "inner: an exactly verified measure per end (the KKT point polished "
          "by Newton at high precision, eps shrunk by 2^-50, atoms and weights rounded to "
          "rationals, Σ (m_j - w_j)² ≤ eps checked exactly); outer: a rational dual polynomial "
          "Σ y_n u^n - s·u^q ≥ -τ on [-1, 1] (Taylor forms in ball arithmetic) and Cauchy–"
          "Schwarz, Σ y'_n d_n + sqrt(eps·Σ y'_n²/ρ^(2n)) with the root bounded above exactly"}
    wit = {"lower": ([float(x * rho) for x in lo.atoms], [float(b) for b in lo.weights]),
           "upper": ([float(x * rho) for x in hi.atoms], [float(b) for b in hi.weights])}
    return MomentInterval(q, lower, upper, width, Status.CERTIFIED, "kkt+flint", ev, inner_lower,
                          inner_upper, wit)


def _determinate(w: list[Fraction], q: int, S: tuple[Fraction, Fraction] | None,
                 ev: dict[str, Any]) -> MomentInterval:
    """Boundary data: the representing measure is unique; m_q exactly by its recursion."""
    fit = ex.unique_measure(w, S)
    P = ex.support_polynomial(w, S)
    if fit is None or fit.residual > 1e-30 or P is None:
        raise ValueError(f"infeasible: no nonnegative measure on {_support_text(S)} has these "
                         "moments (the singular Hankel/localizing matrix admits no "
                         "measure reproducing them: not recursively generated)")
    val = ex.extend_by_recurrence(w, P, q + 1)[q]
    return MomentInterval(q, val, val, Fraction(0), Status.EXACT, "rational",
                          {**ev, "reason": "determinate: a block is singular, so the representing "
                           "measure is unique; m_q from its exact recursion Σ P_i m_(n+i) = 0",
                           "support_polynomial": [str(c) for c in P], "n_atoms": len(fit.atoms),
                           "measure_residual": fit.residual},
                          val, val, {"unique": ([_mpf(x) for x in fit.atoms],
                                                [_mpf(b) for b in fit.weights])})


ROUNDING_FACTOR = 16


def _rounded_data_interval(w: list[Fraction], q: int, S: tuple[Fraction, Fraction], solver: str,
                           basis: str, ev: dict[str, Any], violated: str) -> MomentInterval:
    """Float data just outside the cone (e.g. an identified teacher's impulse response, rounded):
    interpret them within their rounding, `|m_j - w_j| ≤ 16 (j+1) u max_{i≤j} |w_i|` (u = 2^-53,
    the error of computing Σ β λ^j in floating point), and solve that box problem."""
    u = 2.0**-53
    mags = np.maximum.accumulate(np.abs(np.array([float(v) for v in w])))
    tau = ROUNDING_FACTOR * u * (np.arange(len(w)) + 1) * mags
    prog = build_program(w, q, S[1], tau, "box", basis)
    ev = {**ev, "data_tolerance": f"float rounding: |m_j - w_j| <= {ROUNDING_FACTOR}(j+1)·2^-53·"
          "max_(i<=j)|w_i|", "exact_check": f"data as given are outside the cone: {violated}"}
    witness = _prony_witness(w, tau, S)
    if witness is not None:
        ev["witness_atoms"] = len(witness.atoms)
    try:
        return _sandwich(prog, w, q, solver, ev, witness=witness)
    except ValueError as exc:
        raise ValueError(f"infeasible: no nonnegative measure on {_support_text(S)} has these moments, "
                         f"even within float rounding ({violated})") from exc


def _prony_witness(w: list[Fraction], tau: np.ndarray, S: tuple[Fraction, Fraction]
                   ) -> ex.MeasureFit | None:
    """The r-atomic measure matching w_0 … w_{2r-1} exactly (Prony in rationals, roots at 60
    digits), for the smallest r whose atoms lie in S with positive weights and whose moments meet
    every |m_j - w_j| ≤ τ_j: an explicit measure inside the rounding box, or None."""
    k = len(w)
    for r in range(1, (k - 1) // 2 + 1):
        if ex.psd_rank([[w[i + j] for j in range(r)] for i in range(r)])[1] < r:
            return None
        fit = _prony(w, r, S)
        if fit is None:
            continue
        with mpmath.workdps(ex.DPS):
            ok = all(abs(sum(b * x**j for x, b in zip(fit.atoms, fit.weights, strict=True))
                         - mpmath.mpf(w[j].numerator) / w[j].denominator) <= tau[j] for j in range(k))
        if ok:
            return fit
    return None


def _prony(w: list[Fraction], r: int, S: tuple[Fraction, Fraction]) -> ex.MeasureFit | None:
    """Atoms: roots of p with Σ_j p_j w_{i+j} = 0 (i < r, p_r = 1), exact; weights from w_0 … w_{r-1}."""
    try:
        sol = ex.solve([[w[i + j] for j in range(r)] for i in range(r)], [-w[i + r] for i in range(r)])
    except ZeroDivisionError:
        return None
    with mpmath.workdps(ex.DPS):
        coeffs = [mpmath.mpf(1)] + [mpmath.mpf(c.numerator) / c.denominator for c in reversed(sol)]
        try:
            roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * ex.DPS) if r > 0 else []
        except mpmath.libmp.libhyper.NoConvergence:
            return None
        roots = roots if isinstance(roots, list) else [roots]
        if any(abs(mpmath.im(x)) > mpmath.mpf(10) ** -20 for x in roots):
            return None
        xs = [mpmath.re(x) for x in roots]
        lo, hi = float(S[0]), float(S[1])
        if any(x < lo or x > hi for x in xs):
            return None
        fit = ex.fit_weights(xs, w[:r])
        if any(b <= 0 for b in fit.weights):
            return None
        return fit


CERT_Y = 10**6  # the far atom of the unboundedness certificate on R


def _interval_on_R(w: list[Fraction], q: int, eps: float, norm: str, solver: str,
                   ev: dict[str, Any], mem: ex.ConeMembership, exact: bool) -> MomentInterval:
    """On R: m_q is unbounded above (an atom far out with tiny weight); below too for odd q.

    eps > 0: certified by construction. Any representing measure μ of the data (it exists: the
    data are exactly interior, or determinate with their unique measure) plus `β δ_y` with
    β = eps·y^(1-k) (box) or √(eps/k)·y^(1-k) (l2), |y| ≥ 1, keeps the training moments within
    eps and moves m_q by `β y^q` → ±∞ as y → ±∞ (q ≥ k). eps = 0 (interior data, q > k): by the
    exact definiteness of the Hankel matrix (Hamburger). For even q the infimum is the SDP over
    the closed Hankel cone with a grid inner bound on [-ρ, ρ] (ρ = 4 · max_j |w_j/w_0|^{1/j}).
    """
    if eps > 0:
        if not mem.feasible or (not mem.interior and ex.support_polynomial(w, None) is None):
            return MomentInterval(q, -INF, INF, INF, Status.UNDECIDED, "none", {
                **ev, "reason": "eps > 0 on R: the data as given are not (exactly) a moment vector "
                f"of R ({mem.violated or 'not recursively generated'}), so no base measure for the "
                "unboundedness certificate is known"})
        y = Fraction(CERT_Y)
        beta = (Fraction(eps) / y ** (len(w) - 1) if norm == "box" else
                Fraction(math.sqrt(eps / len(w)) * (1 - 1e-12)) / y ** (len(w) - 1))
        shift = beta * y**q
        ev = {**ev, "reason": "non-determinate on R: m_q unbounded above" + (" and below" if q % 2 else ""),
              "certificate": f"μ + β δ_y with β = {'eps' if norm == 'box' else 'sqrt(eps/k)'}·y^(1-k) "
              f"keeps every training moment within eps ({norm}) and moves m_q by β·y^q = "
              f"eps·y^(q-k+1)·const → ∞ as y → ∞{' (and -∞ as y → -∞, q odd)' if q % 2 else ''}",
              "certificate_y": CERT_Y, "certificate_beta": beta,
              "certificate_m_q_shift": float(shift)}
        if q % 2 == 1:
            return MomentInterval(q, -INF, INF, INF, Status.UNBOUNDED, "construction", ev)
    else:
        ev = {**ev, "reason": "non-determinate on R: m_q unbounded above",
              "certificate": "Hankel matrix of the data definite (exact): larger moments are free "
              "above (Hamburger)"}
    if q % 2 == 1 or w[0] <= 0:
        return MomentInterval(q, -INF, INF, INF, Status.UNBOUNDED, "none", ev)
    spread = max([abs(float(w[j]) / float(w[0])) ** (1.0 / j) for j in range(1, len(w))] + [1.0])
    rho = Fraction(4 * spread).limit_denominator(1000)
    if eps > 0 and norm == "box":
        # the search interval must hold the extremal measure's atoms without scaling the data
        # to nothing (m_j/ρ^j): a few radii around the data's spread are tried
        for f in (3, 2, 4):
            lo_kkt = _lower_on_R(w, q, Fraction(f * spread).limit_denominator(1000),
                                 Fraction(eps), ev)
            if lo_kkt is not None:
                return lo_kkt
    prog = build_program(w, q, rho, eps, norm, "monomial")
    # Only the Hankel block: on R there is no localizer.
    prog = _hankel_only(prog)
    lo = _sandwich(prog, w, q, solver, ev, senses=(1,))
    ev = {**lo.evidence, **ev}
    # the sandwich's tolerance is relative to the width, infinite here: say whether the lower
    # end is actually pinned (outer and inner within LP_RTOL of the value), not just valid
    gap = float(lo.inner_lower) - float(lo.lower) if math.isfinite(float(lo.inner_lower)) else INF
    pinned = 0 <= gap <= LP_RTOL * max(abs(float(lo.lower)), abs(float(lo.inner_lower)))
    ev["lower_pinned"] = pinned
    if not pinned:
        ev["lower_reason"] = (f"the least m_q is only enclosed: the SDP's lower bound "
                              f"{float(lo.lower):.6e} and the grid measure's value "
                              f"{float(lo.inner_lower):.6e} are {gap:.1e} apart (more than "
                              f"{LP_RTOL:g} of the value); the lower bound is valid, not tight")
    return MomentInterval(q, lo.lower, INF, INF, Status.UNBOUNDED if lo.status != Status.UNDECIDED
                          else Status.UNDECIDED, lo.solver, ev, lo.inner_lower, INF,
                          lo.witnesses)


def _lower_on_R(w: list[Fraction], q: int, rho: Fraction, eps: Fraction, ev: dict[str, Any]
                ) -> MomentInterval | None:
    """The least m_q on R (box radius eps > 0, q even) by the KKT path: the extremal measure
    searched on [-ρ, ρ] (an exactly verified measure on R), its dual polynomial certified
    nonnegative up to τ on all of R. None where it does not certify (the SDP follows)."""
    from theory_check.moments._lp import certified_interval
    try:
        out = certified_interval(w, q, rho, eps, whole_line=True)
    except ValueError:
        return None
    lo = out["lower"]
    if lo["outer"] is None or lo["inner"] is None:
        return None
    gap = lo["inner"] - lo["outer"]
    tol = Fraction(LP_RTOL) * abs(lo["outer"]) + Fraction(LP_ATOL) * abs(w[0])
    if gap < 0 or gap > tol:
        return None
    ev = {**ev, "method": "kkt", "min.engine": "kkt", "min.prec_bits": lo.get("prec"),
          "lower_certificate": "inner: an exactly verified measure on [-ρ, ρ] ⊂ R (ρ = "
          f"{rho}); outer: a rational dual polynomial Σ y_n x^n + x^q ≥ -τ on all of R (Taylor "
          "forms in ball arithmetic on [-M, M], M its Cauchy root bound)",
          "sandwich_gap": {"min": float(gap)}, "sandwich_tol": float(tol), "lower_pinned": True}
    return MomentInterval(q, lo["outer"], INF, INF, Status.UNBOUNDED, "kkt+flint", ev,
                          lo["inner"], INF, {"lower": ([float(x) for x in lo["atoms"]],
                                                        [float(b) for b in lo["weights"]])})


LP_RTOL = 1e-6   # LP path: certified iff outer - inner ≤ LP_RTOL·width + LP_ATOL·m_0·ρ^q per end
LP_ATOL = 1e-12


def _lp_interval(w: list[Fraction], q: int, S: tuple[Fraction, Fraction], eps: Any,
                 ev: dict[str, Any]) -> MomentInterval:
    """The m_q interval by the certified paths (`_kkt`, then `_lp`): each end enclosed between
    an exactly verified measure (inner) and an exactly verified dual polynomial (outer);
    reported bounds are the outer ones (they contain the true interval), exact rationals."""
    from theory_check.moments._lp import certified_interval
    rho = S[1]
    extra = None
    mem = ex.membership(w, S)
    if mem.feasible and not mem.interior:
        # boundary data: the unique measure's atoms belong on the grid (a box of radius far
        # below the grid spacing around them may hold no grid measure at all)
        fit = ex.unique_measure(w, S)
        if fit is not None:
            extra = np.array([float(x) / float(rho) for x in fit.atoms])
    out = certified_interval(w, q, rho, eps, extra, interior=mem.feasible and mem.interior)
    lo, hi = out["lower"], out["upper"]
    ev = {**ev, "method": "lp", "lp_basis": out["basis"],
          "certificate": "inner: an exactly verified measure per end (the KKT point polished by "
          "Newton at high precision, radii shrunk by 2^-50, atoms and weights rounded to "
          "rationals; or the grid LP vertex repaired exactly); outer: a rational dual "
          "polynomial Σ y_n u^n - s·u^q ≥ -τ on [-1, 1] proved by Taylor forms in ball "
          "arithmetic"}
    engines = {lo.get("engine"), hi.get("engine")}
    method = "kkt" if engines == {"kkt"} else "lp" if engines == {"lp"} else "kkt+lp"
    solver = {"kkt": "kkt+flint", "lp": "highs+flint"}.get(method, "kkt+highs+flint")
    ev["method"] = method
    for tag, b in (("min", lo), ("max", hi)):
        ev[f"{tag}.engine"] = b.get("engine")
        if "prec" in b:
            ev[f"{tag}.prec_bits"] = b["prec"]
        if "kkt_status" in b:
            ev[f"{tag}.kkt_status"] = b["kkt_status"]
    reasons = []
    for tag, b in (("min", lo), ("max", hi)):
        ev[f"{tag}.status"] = b["status"]
        ev[f"{tag}.tau"] = b["tau"]
        ev[f"{tag}.grid_points"] = b["grid_points"]
        if b["outer"] is None:
            reasons.append(f"{tag}: no dual certificate ({b['status']})")
        if b["inner"] is None:
            reasons.append(f"{tag}: no exactly verified inner measure")
    if reasons:
        return MomentInterval(q, -INF if lo["outer"] is None else lo["outer"],
                              INF if hi["outer"] is None else hi["outer"], INF, Status.UNDECIDED,
                              solver, {**ev, "reason": "; ".join(reasons)})
    width = hi["outer"] - lo["outer"]
    tol = Fraction(LP_RTOL) * abs(width) + Fraction(LP_ATOL) * abs(w[0]) * rho**q
    gaps = {"min": lo["inner"] - lo["outer"], "max": hi["outer"] - hi["inner"]}
    ev["sandwich_gap"] = {t: float(g) for t, g in gaps.items()}
    ev["sandwich_tol"] = float(tol)
    ev["sandwich_rule"] = f"outer - inner ≤ {LP_RTOL:g}·width + {LP_ATOL:g}·m_0·ρ^q (exact rationals)"
    bad = [t for t, g in gaps.items() if g < 0 or g > tol]
    if bad:
        ev["reason"] = "; ".join(f"{t}: inner and outer bounds {float(gaps[t]):.2e} apart (> tol "
                                 f"{float(tol):.1e})" for t in bad)
    wit = {"lower": ([float(x) for x in lo["atoms"]], [float(x) for x in lo["weights"]]),
           "upper": ([float(x) for x in hi["atoms"]], [float(x) for x in hi["weights"]])}
    return MomentInterval(q, lo["outer"], hi["outer"], width,
                          Status.UNDECIDED if bad else Status.CERTIFIED, solver, ev,
                          lo["inner"], hi["inner"], wit)


def _hankel_only(prog: Program) -> Program:
    import cvxpy as cp
    keep = [(n, c, P) for n, c, P in prog.psd if n == "H"]
    cons = [c for _, c, _ in keep] + prog.data
    prog.problem = cp.Problem(prog.problem.objective, cons)
    prog.psd = keep
    return prog


def _known_part(prog: Program, w: list[Fraction], q: int) -> Fraction:
    """Exact Σ_{n<k} a_n ĉ_n, the data part of m_q / ρ^q (eps = 0, Chebyshev basis); else 0."""
    if prog.fixed is None or prog.basis != "chebyshev":
        return Fraction(0)
    row = mono_to_cheb(prog.D)[q]
    c = chebyshev_moments(list(w), Fraction(prog.rho).limit_denominator(10**12))
    return sum((row[n] * c[n] for n in range(prog.k)), Fraction(0))


def _sandwich(prog: Program, w: list[Fraction], q: int, solver: str, ev: dict[str, Any],
              senses: tuple[int, ...] = (1, -1), witness: ex.MeasureFit | None = None
              ) -> MomentInterval:
    """Solve min and max of m_q as SDPs, then the grid LPs; compare (see module `_sdp`).

    `witness`: an explicit feasible measure used as the inner bound where the grid LP finds none.
    """
    a = objective_row(prog, q)
    factor = prog.scale * prog.rho**q
    known = float(_known_part(prog, w, q) * Fraction(prog.rho).limit_denominator(10**12) ** q)
    sdp = {s: solve_sdp(prog, a, s, solver) for s in senses}
    for r in sdp.values():
        # A solver that reports success with a non-finite value or solution has not solved
        # anything: drop its solution so that nothing downstream (pencils, grid) reads NaN.
        if "c" in r and not (math.isfinite(r["value"]) and np.all(np.isfinite(r["c"]))):
            r.pop("c")
            r["status"] = f"non-finite solution (reported {r.get('status')})"
            r["value"] = math.nan
    vals = {s: r["value"] for s, r in sdp.items()}
    width_n = (vals.get(-1, math.nan) - vals.get(1, math.nan)) if len(senses) == 2 else math.nan
    # Absolute part in units of the objective actually solved (the free part of a, normalized
    # to max 1), so the certificate is relative to what the formulation can resolve.
    obj_norm = max((r.get("objective_norm", 1.0) for r in sdp.values()), default=1.0)
    atol = SANDWICH_ATOL * obj_norm
    tol = atol + SANDWICH_RTOL * (abs(width_n) if math.isfinite(width_n) else 0)
    # Candidate atoms for the grid: pencils of the SDP optima (whole and truncated to the data's
    # degree) at several rank thresholds; extra grid points never hurt an inner bound.
    cands = [np.zeros(0)]
    if prog.basis == "chebyshev":
        for r in sdp.values():
            if "c" in r:
                for cut in {prog.D + 1, max(prog.k, 2)}:
                    for rt in (1e-5, 1e-7, 1e-9, 1e-11):
                        cands.append(pencil_atoms(r["c"][:cut], rtol=rt))
    extra = np.concatenate(cands)
    inner = {s: grid_inner(prog, a, s, extra, vals[s], tol) for s in senses}
    # the grid measure's residual (excess over the box, or over eps in l2) in program units,
    # against the tolerance in the same units; none for equalities (eps = 0)
    slack = math.inf
    if prog.fixed is None:
        slack = INNER_SLACK * (float(np.min(prog.box_radius())) if prog.norm == "box"
                               else float(prog.eps) / prog.scale**2)
    if witness is not None:
        with mpmath.workdps(ex.DPS):
            wq = float(sum(b * x**q for x, b in zip(witness.atoms, witness.weights, strict=True)))
        for s_ in senses:
            if inner[s_]["status"] != "optimal" or not inner[s_]["residual"] <= slack:
                # back to the program's units: value = known + factor·v
                # inside the box by construction (`_prony_witness` checks every row at
                # 60 digits): no excess over the data's tolerance
                inner[s_] = {"value": (wq - known) / factor, "status": "witness measure",
                             "residual": 0.0, "fit_residual": witness.residual,
                             "atoms": np.array([float(x) for x in witness.atoms]) / prog.rho,
                             "weights": np.array([float(b) for b in witness.weights]) / prog.scale}
    out: dict[str, Any] = dict(ev)
    reasons = []
    ivals = {}
    for s in senses:
        tag = "min" if s == 1 else "max"
        r, lp = sdp[s], inner[s]
        ivals[s] = lp["value"]
        out[f"{tag}.status"] = r["status"]
        out[f"{tag}.solver"] = r.get("solver")
        if "c" in r:
            out[f"{tag}.primal"] = known + factor * r["value"]
            out[f"{tag}.dual"] = known + factor * r["dual_value"]
            out[f"{tag}.gap"] = factor * r["duality_gap"]
            out[f"{tag}.min_eig"] = r["min_eig"]
            out[f"{tag}.dual_min_eig"] = r["dual_min_eig"]
            out[f"{tag}.max_residual"] = r["max_residual"]
            out[f"{tag}.iterations"] = r["iterations"]
            min_eig = min(r["min_eig"].values(), default=0.0)
            # 'optimal_inaccurate' is not a solve: at l2 on [-2, 2], k = 28 it gave an upper
            # end 0.45 below an exactly verified measure, within a tolerance of 75
            if r["status"] != "optimal" or r["max_residual"] > RESIDUAL_TOL or min_eig < -RESIDUAL_TOL:
                reasons.append(f"{tag}: solver status {r['status']}, residual "
                               f"{r['max_residual']:.1e}, min eig {min_eig:.1e}")
        else:
            reasons.append(f"{tag}: solver status {r['status']}")
        out[f"{tag}.inner_status"] = lp["status"]
        out[f"{tag}.inner_residual"] = lp.get("residual", math.nan)
        if lp["status"] == "optimal" and not lp.get("residual", math.inf) <= slack:
            # a grid measure outside the data's tolerance bounds nothing: at box radius 1e-30
            # HiGHS's 1e-9 residuals let it exceed the true worst case (±1/2, k = 5, j = 52)
            reasons.append(f"{tag}: the grid measure misses the data by {lp.get('residual', math.nan):.1e} "
                           f"(> {INNER_SLACK:g} of their tolerance, {slack / INNER_SLACK:.1e})")
    if all(s in vals and not math.isfinite(vals[s]) for s in senses) and \
            all(sdp[s]["status"] in ("infeasible", "infeasible_inaccurate") for s in senses):
        raise ValueError(f"infeasible: no nonnegative measure on {ev['support']} has moments "
                         f"within eps ({prog.norm}) of these (the SDP is infeasible)")
    gaps = {}
    for s in senses:
        tag = "min" if s == 1 else "max"
        d = s * (ivals[s] - vals[s])  # ≥ 0 up to solver error: inner is inside outer
        gaps[tag] = d
        if not math.isfinite(d):
            reasons.append(f"{tag}: no grid measure (inner bound unavailable)")
        elif abs(d) > tol:
            where = "outside" if d < 0 else "short of"
            reasons.append(f"{tag}: SDP value is {where} the grid inner bound by {abs(d):.2e} "
                           f"(> tol {tol:.1e})")
        if s in inner and "atoms" in inner[s]:
            pass
    out["sandwich_gap"] = {t: factor * g for t, g in gaps.items()}
    out["sandwich_tol"] = factor * tol
    # Certified means |truth - reported| ≤ sandwich_tol; the width itself is resolved to 1 %
    # only when that tolerance is below 1 % of it (not so for tiny widths in raw monomials).
    out["width_resolved"] = bool(math.isfinite(width_n) and atol <= 0.01 * abs(width_n))
    out["sandwich_rule"] = (f"|inner - outer| ≤ {SANDWICH_ATOL:g}·max|a_free| + {SANDWICH_RTOL:g}·width, "
                            "a_free = objective on the unknown moments")
    status = Status.CERTIFIED if not reasons else Status.UNDECIDED
    if reasons:
        out["reason"] = "; ".join(reasons)
    lower = known + factor * vals[1] if 1 in vals else -INF
    upper = known + factor * vals[-1] if -1 in vals else INF
    width = factor * width_n if len(senses) == 2 else INF
    rho = prog.rho
    wit = {("lower" if s == 1 else "upper"): ([float(u) * rho for u in inner[s]["atoms"]],
                                              [float(x) * prog.scale for x in inner[s]["weights"]])
           for s in senses if "atoms" in inner[s]}
    used = {sdp[s].get("solver") for s in senses}
    return MomentInterval(q, lower, upper, width, status, "/".join(sorted(x for x in used if x)), out,
                          known + factor * ivals.get(1, math.nan),
                          known + factor * ivals.get(-1, math.nan), wit)


@dataclass(frozen=True)
class Identification(NotebookRepr):
    """Whether k moments identify the teacher measure on S, with certificate and counterexample.

    `identified`: True / False, or None when undecided (status UNDECIDED, see evidence['reason']).
    `width`: width of the m_k interval (0 iff identified; a `Fraction` on the exact path);
    `minimal_k`: smallest identifying k (None if not decided); `certificate`: 'exact' (rational
    ranks/Schur complements) or 'numeric' (SDP sandwich: can certify *non*-identification only);
    `counterexample`: {atoms, weights, …} of a second measure with the same m_0 … m_{k-1} and a
    different m_k, with the balanced student's L_k and extrapolation error; None if identified.
    """

    identified: bool | None
    width: Number
    minimal_k: int | None
    certificate: str
    counterexample: dict[str, Any] | None
    status: Status
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """{identified, width, width_exact, minimal_k, certificate, counterexample, status, evidence}
        (`width_exact`: 'p/q' on the exact path, else null; conventions of `MomentInterval`)."""
        from theory_check.results import jsonable
        return jsonable({"identified": self.identified, "width": float(self.width),
                         "width_exact": _exact_text(self.width),
                         "minimal_k": self.minimal_k, "certificate": self.certificate,
                         "counterexample": self.counterexample, "status": self.status,
                         "evidence": self.evidence})


def _teacher(atoms: Sequence[Any], weights: Sequence[Any], S: tuple[Fraction, Fraction] | None
             ) -> tuple[list[Fraction], list[Fraction]]:
    lam = [ex.to_fraction(f"atoms[{i}]", a) for i, a in enumerate(atoms)]
    beta = [ex.to_fraction(f"weights[{i}]", b) for i, b in enumerate(weights)]
    if not lam:
        raise ValueError("atoms must hold at least one atom")
    if len(beta) != len(lam):
        raise ValueError(f"weights must have one entry per atom ({len(lam)}); got {len(beta)}")
    if any(b <= 0 for b in beta):
        raise ValueError(f"weights must be > 0 (range (0, inf)); got {[str(b) for b in beta]}")
    if len(set(lam)) != len(lam):
        raise ValueError("atoms must be pairwise distinct")
    if S is not None and any(not S[0] <= a <= S[1] for a in lam):
        raise ValueError(f"atoms must lie in the support {_support_text(S)}; got "
                         f"{[str(a) for a in lam]}")
    return lam, beta


CEX_TOL = mpmath.mpf(10) ** (-ex.DPS // 2)  # relative moment mismatch a counterexample may have


def _counterexample(m: list[Fraction], k: int, S: tuple[Fraction, Fraction] | None,
                    teacher: LinearRNN) -> tuple[dict[str, Any] | None, str]:
    """A measure with the data's m_0 … m_{k-1} and m_k at the far end of its exact interval, and
    why there is none (''). `m` holds m_0 … m_k of the teacher.

    At an endpoint t* the block containing m_k is singular; its kernel polynomial's roots (and
    the block's roots of g) carry the measure (`_exact.measure_on_kernel`). On R the interval is
    taken on [-R, R], R = 2 max(1, max_j |m_j/m_0|^{1/j}), a subset of R. The measure is checked
    before it is returned: atoms in S, weights > 0, first k moments equal to the data within
    `CEX_TOL` (relative, at `DPS` digits) and m_k ≠ the teacher's.
    """
    if S is not None:
        box = S
    else:
        spread = max([abs(float(m[j] / m[0])) ** (1.0 / j) for j in range(1, len(m))] + [1.0])
        R = 2 * Fraction(math.ceil(spread))
        box = (-R, R)
    lo, hi = ex.next_moment_interval(m[:k], box)
    if lo is None or hi is None:
        return None, "the m_k interval is unbounded on the box"
    t = lo if abs(m[k] - lo) >= abs(hi - m[k]) else hi
    if t == m[k]:
        return None, "the m_k interval is a single point"
    ext = [*m[:k], t]
    blk = next((b for b in ex.blocks(k, box)
                if ex.psd_rank(b.matrix(ext, box[0], box[1]))[1] < b.size), None)
    if blk is None:
        return None, (f"no block is singular at the endpoint m_k = {_show(t)} of the interval: the "
                      "endpoint is not on the boundary of the moment cone")
    fit = ex.measure_on_kernel(blk.matrix(ext, box[0], box[1]), blk.extra_atoms, ext, box)
    if fit is None:
        return None, "the kernel polynomial at the endpoint has no real roots in the support"
    with mpmath.workdps(ex.DPS):
        mm = [mpmath.mpf(v.numerator) / v.denominator for v in ext]
        mom = ex.atomic_moments(fit.atoms, fit.weights, k + 1)
        scale = max(1, *map(abs, mm))
        train = max(abs(mom[j] - mm[j]) for j in range(k)) / scale
        shift = abs(mom[k] - mm[k]) / scale
        a_lo, a_hi = (mpmath.mpf(e.numerator) / e.denominator for e in box)
        ok = (train <= CEX_TOL and shift <= CEX_TOL and all(b > 0 for b in fit.weights)
              and all(a_lo <= x <= a_hi for x in fit.atoms))
    if not ok:
        return None, (f"the measure on the kernel does not reproduce the data (relative moment error "
                      f"{float(train):.1e}, m_k error {float(shift):.1e}) or leaves the support")
    atoms = [float(x) for x in fit.atoms]
    weights = [float(b) for b in fit.weights]
    student = balanced_teacher(atoms, weights)
    horizon = max(4 * k, 20)
    return {"atoms": atoms, "weights": weights, "m_k": t, "teacher_m_k": m[k],
            "train_moment_error": float(train), "student_L_k": student.loss(teacher, k),
            "extrapolation_horizon": horizon,
            "student_E_q": student.extrapolation_error(teacher, horizon),
            "student_E_q_relative": student.extrapolation_error(teacher, horizon, relative=True),
            "balanced_student": {"A": "diag(atoms)", "B = C^T": "sqrt(weights)"}}, ""


def _exact_matrix(M: np.ndarray) -> list[list[Fraction]]:
    return [[Fraction(float(x)) for x in row] for row in np.atleast_2d(M)]


def _rnn_moments(t: LinearRNN, S: tuple[Fraction, Fraction] | None) -> tuple[Any, str]:
    """Exact g_j = C A^j B of the teacher's float entries taken as rationals (a function of n), or
    None and why they are not the moments of a measure on S."""
    A, B, C = _exact_matrix(t.A), _exact_matrix(t.B), _exact_matrix(t.C)
    d = len(A)
    if any(A[i][j] != A[j][i] for i in range(d) for j in range(d)) or \
            any(B[i][0] != C[0][i] for i in range(d)):
        return None, ("the teacher is balanced only within tolerance, not exactly (A = Aᵀ and "
                      "B = Cᵀ as rationals): its impulse response need not be a moment sequence")
    if not ex.spectrum_in(A, S):
        return None, f"the spectrum of A is not inside {_support_text(S)} (exact test)"

    def moments(n: int) -> list[Fraction]:
        u = [B[i][0] for i in range(d)]
        out = []
        for _ in range(n):
            out.append(sum((C[0][i] * u[i] for i in range(d)), Fraction(0)))
            u = [sum((A[i][j] * u[j] for j in range(d)), Fraction(0)) for i in range(d)]
        return out
    return moments, ""


def identify(atoms: Sequence[Any] | LinearRNN, weights: Sequence[Any] | None = None,
             k: int | None = None, support: Any = "unit", *, method: str = "exact",
             solver: str = "CLARABEL") -> Identification:
    """Do the moments m_0 … m_{k-1} of `Σ β̂_i δ_λ̂i` determine it among nonnegative measures on S?

    Exact path (default, any input: a float is the dyadic rational it stores): identified iff
    the data are a boundary point of the moment cone (a Hankel/localizing block is singular,
    `_exact.membership`); width of the m_k interval by Schur complements; minimal k the first k
    with a singular block (searched up to 2·#atoms + 1, where C6 guarantees one). `atoms` may
    instead be a balanced `LinearRNN` teacher (weights None): its moments are `g_j = C A^j B`
    computed exactly from its entries (C5), its atom count the exact rank of their Hankel matrix.
    `method='numeric'` (a tolerance path, baseline): the SDP sandwich of the m_k interval; it can
    certify non-identification (width > 2·sandwich tolerance, explicit witness measures) and is
    UNDECIDED otherwise (a width inside the tolerance is never read as identified).
    """
    S = parse_support(support)
    check_choice("method", method, ("auto", "exact", "numeric"))
    if isinstance(atoms, LinearRNN):
        if weights is not None:
            raise ValueError("weights must be None when a LinearRNN teacher is given")
        if not atoms.is_balanced(1e-12):
            raise ValueError("teacher must be balanced (A = Aᵀ, B = Cᵀ) to define a measure")
        teacher = atoms
        if k is None:
            raise ValueError("identify needs k (k >= 1)")
        k = check_int("k", k, minimum=1)
        mom_fn, why = _rnn_moments(teacher, S)
        n_bound = teacher.A.shape[0]
        label = f"LinearRNN teacher (d = {n_bound}, exact entries)"
    else:
        if weights is None or k is None:
            raise ValueError("identify needs weights and k (or a LinearRNN teacher and k)")
        k = check_int("k", k, minimum=1)
        lam, beta = _teacher(atoms, weights, S)
        teacher = balanced_teacher([float(a) for a in lam], [float(b) for b in beta])
        n_bound = len(lam)

        def mom_fn(n: int) -> list[Fraction]:
            return ex.atomic_moments(lam, beta, n)
        why = ""
        label = f"{len(lam)} atoms"
    check_choice("solver", solver.upper(), SOLVERS)
    top = max(k, 2 * n_bound + 1)
    ev: dict[str, Any] = {"support": _support_text(S), "k": k, "teacher": label}
    if mom_fn is None:
        return Identification(None, math.nan, None, "exact", None, Status.UNDECIDED,
                              {**ev, "reason": why})
    m = mom_fn(top + 1)
    if method == "numeric":
        return _identify_numeric(m, k, S, solver, teacher, ev)
    d_hat = ex.psd_rank([[m[i + j] for j in range(n_bound + 1)] for i in range(n_bound + 1)])[1]
    ev["d_hat"] = d_hat

    def decide(kk: int) -> tuple[bool | None, ex.ConeMembership]:
        mem = ex.membership(m[:kk], S)
        return (None if not mem.feasible else not mem.interior), mem

    ident, mem = decide(k)
    ev["block_ranks"] = {n: f"{r}/{s}" for n, (r, s) in mem.ranks.items()}
    ev["rule"] = "identified iff a Hankel/localizing block of m_0..m_(k-1) is singular (exact)"
    if ident is None:
        return Identification(None, math.nan, None, "exact", None, Status.UNDECIDED,
                              {**ev, "reason": f"the teacher's moments are not in the moment cone of "
                               f"{_support_text(S)} ({mem.violated})"})
    minimal = next((kk for kk in range(1, 2 * n_bound + 2) if decide(kk)[0]), None)
    if minimal is None:
        return Identification(ident, math.nan, None, "exact", None, Status.UNDECIDED,
                              {**ev, "reason": f"no block is singular up to k = {2 * n_bound + 1}, "
                               "which a measure with this many atoms must reach (engine inconsistency)"})
    if ident:
        return Identification(True, Fraction(0), minimal, "exact", None, Status.EXACT, ev)
    lo, hi = ex.next_moment_interval(m[:k], S)
    width: Number = INF if lo is None or hi is None else hi - lo
    if width != INF and width <= 0:
        return Identification(None, width, minimal, "exact", None, Status.UNDECIDED,
                              {**ev, "reason": f"interior data but the exact m_k interval has width "
                               f"{_show(width)} ≤ 0 (engine inconsistency)"})
    cex, why = _counterexample(m[: k + 1], k, S, teacher)
    if cex is None:
        ev["counterexample_missing"] = why
    return Identification(False, width, minimal, "exact", cex, Status.EXACT, ev)


def _identify_numeric(m: list[Fraction], k: int, S: tuple[Fraction, Fraction] | None, solver: str,
                      teacher: LinearRNN, ev: dict[str, Any]) -> Identification:
    """The SDP-sandwich path of `identify` (see there): certifies only non-identification."""
    if S is None:
        raise ValueError("method='numeric' needs a bounded support (the SDP path); use 'exact' on R")
    res = moment_interval(m[:k], k, S[1],
                          solver=solver, exact=False, rounding=True)
    if res.status == Status.EXACT:  # the data are decided exactly before any SDP is needed
        ident = res.width == 0
        return Identification(ident, res.width, None, "exact", None, Status.EXACT,
                              {**ev, **res.evidence, "note": "decided exactly by moment_interval"})
    tol = float(res.evidence.get("sandwich_tol", math.nan))
    ev = {**ev, **res.evidence, "certificate_rule": "not identified iff the certified width > 2·"
          "sandwich_tol; a width within the tolerance is undecided"}
    if res.status != Status.CERTIFIED or not math.isfinite(float(res.width)):
        return Identification(None, res.width, None, "numeric", None, Status.UNDECIDED,
                              {**ev, "reason": "the SDP sandwich is not certified: "
                               f"{res.evidence.get('reason')}"})
    if float(res.width) <= 2 * tol:
        return Identification(None, res.width, None, "numeric", None, Status.UNDECIDED,
                              {**ev, "reason": f"width {float(res.width):.3e} is within the sandwich "
                               f"tolerance 2·{tol:.1e}: identification cannot be decided numerically"})
    m_true = float(m[k])
    side = "lower" if abs(m_true - float(res.lower)) >= abs(float(res.upper) - m_true) else "upper"
    cex = None
    if side in res.witnesses:
        at, wt = res.witnesses[side]
        student = balanced_teacher(at, wt)
        horizon = max(4 * k, 20)
        cex = {"atoms": at, "weights": wt, "teacher_m_k": m_true,
               "m_k": float(sum(b * a**k for a, b in zip(at, wt, strict=True))),
               "student_L_k": student.loss(teacher, k), "extrapolation_horizon": horizon,
               "student_E_q": student.extrapolation_error(teacher, horizon),
               "student_E_q_relative": student.extrapolation_error(teacher, horizon, relative=True)}
    return Identification(False, res.width, None, "numeric", cex, Status.CERTIFIED, ev)


@dataclass(frozen=True)
class WorstCase(NotebookRepr):
    """Exact worst case `max_{j≤q} |m_j - ŵ_j|` over measures on S with training moments within δ."""

    value: float
    per_j: np.ndarray         # worst |m_j - ŵ_j| for j = 0 … q
    status: Status            # CERTIFIED if every interval was, else UNDECIDED
    evidence: dict[str, Any] = field(default_factory=dict)
    certified_j: np.ndarray | None = None  # per j: was the interval of m_j certified


def worst_case_extrapolation(atoms: Sequence[Any], weights: Sequence[Any], k: int, q: int,
                             delta: float, norm: str = "box", support: Any = "unit", *,
                             solver: str = "CLARABEL", method: str = "auto") -> WorstCase:
    """`max_{j≤q} |m_j - ŵ_j|` over nonnegative μ on S with `|m_j - ŵ_j| ≤ δ` (box) or
    `Σ_{j<k} (m_j - ŵ_j)² ≤ δ` (l2, δ = ε = L_k), j < k: one interval per j ≥ k — box by the
    exactly certified LP path (`value` is then a proved upper bound, `evidence['value_inner']`
    an attained value), l2 by the certified l2 KKT path (`_kkt_l2`, the same guarantees) with the
    SDP sandwich as the fallback per j. `method`: 'auto', 'lp' (box only) or 'sdp'.
    """
    S = parse_support(support)
    if S is None:
        raise ValueError("support must be bounded for a finite worst case (on R it is unbounded: N5)")
    lam, beta = _teacher(atoms, weights, S)
    k = check_int("k", k, minimum=1)
    _check_common(k, q, delta, norm, solver)
    check_real("delta", delta, minimum=0.0, strict_min=True)
    w = ex.atomic_moments(lam, beta, q + 1)
    check_choice("method", method, ("auto", "lp", "sdp"))
    if method == "lp" and norm != "box":
        raise ValueError("method='lp' needs norm='box'")
    use_lp = norm == "box" and method != "sdp"
    use_kkt_l2 = norm == "l2" and method == "auto"
    prog = None if use_lp else build_program(w[:k], q, S[1], float(delta), norm, "chebyshev")
    per_j = np.zeros(q + 1)
    inner_j = np.zeros(q + 1)
    per_j[:k] = delta if norm == "box" else math.sqrt(delta)
    worst_status, reasons = Status.CERTIFIED, []
    max_gap = 0.0
    certified_j = np.ones(q + 1, dtype=bool)
    n_fallback = n_kkt = 0
    for j in range(k, q + 1):
        if use_lp:
            r = _lp_interval(w[:k], j, S, Fraction(delta), {"support": _support_text(S)})
            if r.status != Status.CERTIFIED:
                # the SDP sandwich of degree j (exact cone) as the fallback for this j
                n_fallback += 1
                small = build_program(w[:k], j, S[1], float(delta), norm, "chebyshev")
                r = _sandwich(small, w[:k], j, solver, {"support": _support_text(S)})
        else:
            kr = _l2_interval(w[:k], j, S, Fraction(delta), {"support": _support_text(S)}) \
                if use_kkt_l2 else None
            if kr is not None:
                n_kkt += 1
                r = kr
            else:
                r = _sandwich(prog, w[:k], j, solver, {"support": _support_text(S)})
        if r.status != Status.CERTIFIED and j < q and not use_lp:
            # The degree-j program is exact too (projection of the Hausdorff cone) and smaller,
            # hence better conditioned: retry there before giving up.
            small = build_program(w[:k], j, S[1], float(delta), norm, "chebyshev")
            r = _sandwich(small, w[:k], j, solver, {"support": _support_text(S)})
        certified_j[j] = r.status == Status.CERTIFIED
        target = w[j]
        per_j[j] = float(max(r.upper - target, target - r.lower))
        inner_j[j] = float(max(r.inner_upper - target, target - r.inner_lower))
        max_gap = max(max_gap, *map(abs, r.evidence.get("sandwich_gap", {"": math.inf}).values()))
        if r.status != Status.CERTIFIED:
            worst_status = Status.UNDECIDED
            reasons.append(f"j={j}: {r.evidence.get('reason')}")
    inner_j[:k] = per_j[:k]
    ev = {"k": k, "q": q, "delta": delta, "norm": norm, "max_sandwich_gap": max_gap,
          "argmax_j": int(np.argmax(per_j)),
          "method": "lp" if use_lp else "kkt" if n_kkt == q + 1 - k else "kkt+sdp" if n_kkt else "sdp",
          "sdp_fallbacks": n_fallback if use_lp else q + 1 - k - n_kkt,
          "value_inner": float(inner_j.max()),
          "value_meaning": "value: proved upper bound of the worst case; value_inner: attained by "
          "an explicit (verified) measure"}
    if reasons:
        ev["reason"] = "; ".join(reasons[:3])
    return WorstCase(float(per_j.max()), per_j, worst_status, ev, certified_j)


@dataclass(frozen=True)
class AtomExtraction(NotebookRepr):
    """Atoms and weights read from g when its Hankel matrix is flat, else None with the ranks."""

    atoms: np.ndarray | None
    weights: np.ndarray | None
    rank: int
    rank_sequence: tuple[int, ...]
    singular_values: np.ndarray
    flat: bool
    residual: float


def extract_atoms(g: Sequence[float] | np.ndarray, support: Any = "unit", rtol: float = 1e-8
                  ) -> AtomExtraction:
    """Atoms λ_i and weights β_i with `g_j ≈ Σ β_i λ_i^j` when the moment matrix of g is flat.

    Bounded support: Chebyshev moment matrices `M_s = [∫ T_i T_j]_{i,j<s}` (exact basis change),
    numerical ranks at `rtol · σ_max` for s = 1, 2, …; flat when the last two ranks agree; atoms
    are the eigenvalues of the shifted pencil (`_sdp.pencil_atoms`), weights by least squares.
    On R: Hankel matrices of g and Ho–Kalman (`model.minimal_realization`).
    """
    g = np.asarray(g, dtype=float)
    if g.ndim != 1 or g.size < 3 or not np.all(np.isfinite(g)):
        raise ValueError("g must be a finite 1-D sequence of at least 3 values")
    check_real("rtol", rtol, minimum=0.0, maximum=1.0, strict_min=True)
    S = parse_support(support)
    D = g.size - 1 if g.size % 2 == 0 else g.size - 2  # odd D: M and M_x both available
    if S is None:
        c = g[: D + 1]
        n = (D - 1) // 2
        H = np.array([[c[i + j] for j in range(n + 1)] for i in range(n + 1)])
        rho = 1.0
    else:
        rho = float(S[1])
        cf = chebyshev_moments([Fraction(float(v)) for v in g[: D + 1]], S[1])
        c = np.array([float(v) for v in cf])
        n = (D - 1) // 2
        H = np.array([[(c[i + j] + c[abs(i - j)]) / 2 for j in range(n + 1)] for i in range(n + 1)])
    sv = np.linalg.svd(H, compute_uv=False)
    top = sv[0] if sv.size and sv[0] > 0 else 1.0
    ranks = tuple(int(np.sum(np.linalg.svd(H[:s, :s], compute_uv=False) > rtol * top))
                  for s in range(1, n + 2))
    rank = ranks[-1]
    flat = rank >= 1 and len(ranks) >= 2 and ranks[-1] == ranks[-2] and rank < n + 1
    if not flat:
        return AtomExtraction(None, None, rank, ranks, sv, False, math.nan)
    if S is None:
        real = minimal_realization(g, r=rank)
        atoms, weights = real.measure()
    else:
        atoms = pencil_atoms(c, rtol=rtol, clip=False) * rho
        V = np.vander(atoms / rho, g.size, increasing=True).T
        weights = np.linalg.lstsq(V, g / rho ** np.arange(g.size), rcond=None)[0]
    if np.iscomplexobj(atoms) or np.iscomplexobj(weights):
        return AtomExtraction(None, None, rank, ranks, sv, True, math.nan)
    V = np.vander(atoms, g.size, increasing=True).T
    resid = float(np.max(np.abs(V @ weights - g)) / max(np.max(np.abs(g)), 1e-300))
    order = np.argsort(atoms)
    return AtomExtraction(atoms[order], weights[order], rank, ranks, sv, True, resid)
