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
from theory_check.results import NotebookRepr

INF = math.inf
RESIDUAL_TOL = 1e-6   # largest acceptable constraint residual / negative eigenvalue (scaled units)
IDENTIFIED_RTOL = 1e-7  # numeric path: width ≤ this · m_0 counts as identified


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


@dataclass(frozen=True)
class MomentInterval(NotebookRepr):
    """The range [lower, upper] of m_q over nonnegative measures on S matching the data.

    `status`: 'exact' (rational arithmetic), 'certified' (SDP outer and grid-LP inner bounds
    agree within tolerance), 'unbounded' (on R), or 'inconclusive' (see evidence['reason']).
    `inner_*` are values attained by explicit measures (`witnesses`).
    """

    q: int
    lower: float
    upper: float
    width: float
    status: str
    solver: str
    evidence: dict[str, Any] = field(default_factory=dict)
    inner_lower: float = math.nan
    inner_upper: float = math.nan
    witnesses: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """{q, lower, upper, width, status, solver, evidence} for the CLI."""
        from theory_check.results import jsonable
        return jsonable({"q": self.q, "lower": self.lower, "upper": self.upper, "width": self.width,
                         "status": self.status, "solver": self.solver,
                         "evidence": {**self.evidence, "inner_lower": self.inner_lower,
                                      "inner_upper": self.inner_upper}})


def _check_common(k: int, q: int, eps: float, norm: str, solver: str) -> None:
    check_int("q", q, minimum=k)
    check_real("eps", eps, minimum=0.0)
    check_choice("norm", norm, ("l2", "box"))
    check_choice("solver", solver.upper(), SOLVERS)


def _mpf(x: Any) -> float:
    return float(x)


def moment_interval(moments: Sequence[Any], q: int, support: Any = "unit", eps: float = 0.0,
                    norm: str = "l2", *, solver: str = "CLARABEL", basis: str = "chebyshev",
                    exact: bool = True) -> MomentInterval:
    """Range of m_q over nonnegative μ on S whose first k = len(moments) moments match the data
    (eps = 0) or lie within eps (l2: `Σ_j (m_j - w_j)² ≤ eps`, i.e. L_k ≤ eps; box: `|m_j - w_j| ≤ eps`).

    With `exact=True`, determinate data (a boundary point of the moment cone: one measure) and
    q = k (Schur complements) are answered in rational arithmetic; on R determinacy is decided by
    exact Hankel rank. Otherwise an SDP over the cone in `basis` ('chebyshev' or 'monomial',
    the latter a baseline) gives the outer values and a grid LP the inner ones.
    Raises ValueError for data that no nonnegative measure on S has.
    """
    if len(moments) < 1:
        raise ValueError("moments must hold at least m_0 (k >= 1)")
    w = [ex.to_fraction(f"moments[{j}]", v) for j, v in enumerate(moments)]
    k = len(w)
    _check_common(k, q, eps, norm, solver)
    check_choice("basis", basis, ("chebyshev", "monomial"))
    S = parse_support(support)
    solver = solver.upper()
    base_ev: dict[str, Any] = {"k": k, "support": _support_text(S), "eps": eps, "norm": norm,
                               "basis": basis}
    if eps == 0:
        mem = ex.membership(w, S)
        base_ev["block_ranks"] = {n: f"{r}/{s}" for n, (r, s) in mem.ranks.items()}
        if not mem.feasible:
            if all(ex.is_exact(v) for v in moments) or S is None:
                if S is None and not all(ex.is_exact(v) for v in moments):
                    return MomentInterval(q, -INF, INF, INF, "inconclusive", "none", {
                        **base_ev, "reason": f"float data violate the moment cone of R ({mem.violated}), "
                        "possibly by rounding only; determinacy on R is decided by exact rank and "
                        "cannot be decided from these rounded data"})
                raise ValueError(f"infeasible: no nonnegative measure on {_support_text(S)} has these "
                                 f"moments ({mem.violated})")
            return _rounded_data_interval(w, q, S, solver, basis, base_ev, mem.violated or "")
        if w[0] == 0:
            return MomentInterval(q, 0.0, 0.0, 0.0, "exact", "rational",
                                  {**base_ev, "reason": "m_0 = 0: the zero measure"})
        if not mem.interior:
            fit = ex.unique_measure(w, S)
            if fit is None or fit.residual > 1e-30:
                raise ValueError(f"infeasible: no nonnegative measure on {_support_text(S)} has these "
                                 "moments (the singular Hankel/localizing matrix admits no "
                                 "measure reproducing them: not recursively generated)")
            with mpmath.workdps(ex.DPS):
                val = _mpf(sum(b * x**q for x, b in zip(fit.atoms, fit.weights, strict=True)))
            return MomentInterval(q, val, val, 0.0, "exact", "rational",
                                  {**base_ev, "reason": "determinate: a block is singular, so the "
                                   "representing measure is unique", "n_atoms": len(fit.atoms),
                                   "measure_residual": fit.residual},
                                  val, val, {"unique": ([_mpf(x) for x in fit.atoms],
                                                        [_mpf(b) for b in fit.weights])})
        if exact and q == k:
            lo, hi = ex.next_moment_interval(w, S)
            lo_f = -INF if lo is None else float(lo)
            hi_f = INF if hi is None else float(hi)
            width = INF if lo is None or hi is None else float(hi - lo)
            return MomentInterval(q, lo_f, hi_f, width, "exact" if S is not None or lo is not None
                                  else "unbounded", "rational",
                                  {**base_ev, "reason": "interior data: next-moment range by exact "
                                   "Schur complements"}, lo_f, hi_f)
    if S is None:
        return _interval_on_R(w, q, eps, norm, solver, base_ev)
    rho = S[1]
    prog = build_program(w, q, rho, eps, norm, basis)
    return _sandwich(prog, w, q, solver, base_ev)


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


def _interval_on_R(w: list[Fraction], q: int, eps: float, norm: str, solver: str,
                   ev: dict[str, Any]) -> MomentInterval:
    """On R: m_q is unbounded above (an atom far out with tiny weight); below too for odd q.

    For even q the infimum is the SDP over the closed Hankel cone, reported as 'lower' with a
    grid inner bound on [-ρ, ρ] (ρ = 4 · max_j |w_j/w_0|^{1/j}).
    """
    ev = {**ev, "reason": "non-determinate on R: m_q unbounded above"}
    if q % 2 == 1 or w[0] <= 0:
        return MomentInterval(q, -INF, INF, INF, "unbounded", "none", ev)
    spread = max([abs(float(w[j]) / float(w[0])) ** (1.0 / j) for j in range(1, len(w))] + [1.0])
    rho = Fraction(4 * spread).limit_denominator(1000)
    prog = build_program(w, q, rho, eps, norm, "monomial")
    # Only the Hankel block: on R there is no localizer.
    prog = _hankel_only(prog)
    lo = _sandwich(prog, w, q, solver, ev, senses=(1,))
    return MomentInterval(q, lo.lower, INF, INF, "unbounded" if lo.status != "inconclusive"
                          else "inconclusive", lo.solver, {**lo.evidence, **ev}, lo.inner_lower, INF,
                          lo.witnesses)


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
    if witness is not None:
        with mpmath.workdps(ex.DPS):
            wq = float(sum(b * x**q for x, b in zip(witness.atoms, witness.weights, strict=True)))
        for s_ in senses:
            if inner[s_]["status"] != "optimal":
                # back to the program's units: value = known + factor·v
                inner[s_] = {"value": (wq - known) / factor, "status": "witness measure",
                             "residual": witness.residual,
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
            solved = r["status"] in ("optimal", "optimal_inaccurate")
            if not solved or r["max_residual"] > RESIDUAL_TOL or min_eig < -RESIDUAL_TOL:
                reasons.append(f"{tag}: solver status {r['status']}, residual "
                               f"{r['max_residual']:.1e}, min eig {min_eig:.1e}")
        else:
            reasons.append(f"{tag}: solver status {r['status']}")
        out[f"{tag}.inner_status"] = lp["status"]
        out[f"{tag}.inner_residual"] = lp.get("residual", math.nan)
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
    status = "certified" if not reasons else "inconclusive"
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

    `width`: width of the m_k interval (0 iff identified); `minimal_k`: smallest such k;
    `certificate`: 'exact' (rational ranks/Schur complements) or 'numeric' (SDP, see evidence);
    `counterexample`: {atoms, weights, …} of a second measure with the same m_0 … m_{k-1} and a
    different m_k, with the balanced student's L_k and extrapolation error; None if identified.
    """

    identified: bool
    width: float
    minimal_k: int
    certificate: str
    counterexample: dict[str, Any] | None
    status: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """{identified, width, minimal_k, certificate, counterexample, status} (+ evidence)."""
        from theory_check.results import jsonable
        return jsonable({"identified": self.identified, "width": self.width,
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


def _counterexample(lam: list[Fraction], beta: list[Fraction], k: int,
                    S: tuple[Fraction, Fraction] | None) -> dict[str, Any] | None:
    """A measure with the teacher's m_0 … m_{k-1} and m_k at the far end of its exact interval.

    At an endpoint t* the block containing m_k is singular; its kernel polynomial's roots (and
    the block's roots of g) carry the measure (`_exact.measure_on_kernel`). On R the interval is
    taken on [-R, R], R = 2 max(1, max|λ̂|), which is inside R.
    """
    box = S if S is not None else (-2 * max(1, *map(abs, lam)), 2 * max(1, *map(abs, lam)))
    m = ex.atomic_moments(lam, beta, k + 1)
    lo, hi = ex.next_moment_interval(m[:k], box)
    if lo is None or hi is None:
        return None
    t = lo if abs(m[k] - lo) >= abs(hi - m[k]) else hi
    ext = [*m[:k], t]
    blk = next(b for b in ex.blocks(k, box)
               if ex.psd_rank(b.matrix(ext, box[0], box[1]))[1] < b.size)
    fit = ex.measure_on_kernel(blk.matrix(ext, box[0], box[1]), blk.extra_atoms, ext, box)
    if fit is None:
        return None
    atoms = [float(x) for x in fit.atoms]
    weights = [float(b) for b in fit.weights]
    with mpmath.workdps(ex.DPS):
        train = max(abs(sum(b * x**j for x, b in zip(fit.atoms, fit.weights, strict=True))
                        - mpmath.mpf(m[j].numerator) / m[j].denominator) for j in range(k))
    teacher = balanced_teacher([float(a) for a in lam], [float(b) for b in beta])
    student = balanced_teacher(atoms, weights)
    horizon = max(4 * k, 20)
    return {"atoms": atoms, "weights": weights, "m_k": float(t), "teacher_m_k": float(m[k]),
            "train_moment_error": float(train), "student_L_k": student.loss(teacher, k),
            "extrapolation_horizon": horizon,
            "student_E_q": student.extrapolation_error(teacher, horizon),
            "student_E_q_relative": student.extrapolation_error(teacher, horizon, relative=True),
            "balanced_student": {"A": "diag(atoms)", "B = C^T": "sqrt(weights)"}}


def identify(atoms: Sequence[Any] | LinearRNN, weights: Sequence[Any] | None = None,
             k: int | None = None, support: Any = "unit", *, method: str = "auto",
             solver: str = "CLARABEL") -> Identification:
    """Do the moments m_0 … m_{k-1} of `Σ β̂_i δ_λ̂i` determine it among nonnegative measures on S?

    Exact path (atoms/weights given as ints, Fractions or strings like '1/2'; always on R):
    identified iff the data are a boundary point of the moment cone (a Hankel/localizing block is
    singular, `_exact.membership`); width of the m_k interval by Schur complements. Numeric path
    (floats on a bounded support): the certified SDP width ≤ 1e-7 · m_0.
    `atoms` may instead be a balanced `LinearRNN` teacher (weights None): its measure is read
    from A = U diag(λ) Uᵀ, β = (UᵀB)² (C5), in floats.
    """
    if isinstance(atoms, LinearRNN):
        if weights is not None:
            raise ValueError("weights must be None when a LinearRNN teacher is given")
        if not atoms.is_balanced(1e-12):
            raise ValueError("teacher must be balanced (A = Aᵀ, B = Cᵀ) to define a measure")
        lam, U = np.linalg.eigh(atoms.A)
        beta = (U.T @ atoms.B)[:, 0] ** 2
        atoms, weights = [float(x) for x in lam], [float(b) for b in beta]
    if weights is None or k is None:
        raise ValueError("identify needs weights and k (or a LinearRNN teacher and k)")
    k = check_int("k", k, minimum=1)
    check_choice("method", method, ("auto", "exact", "numeric"))
    S = parse_support(support)
    lam, beta = _teacher(atoms, weights, S)
    exact_input = all(ex.is_exact(v) for v in [*atoms, *weights])
    use_exact = method == "exact" or S is None or (method == "auto" and exact_input)
    d_hat = len(lam)
    if use_exact:
        def width_at(kk: int) -> tuple[bool, Fraction | None, ex.ConeMembership]:
            m = ex.atomic_moments(lam, beta, kk)
            mem = ex.membership(m, S)
            if not mem.interior:
                return True, Fraction(0), mem
            lo, hi = ex.next_moment_interval(m, S)
            return False, (None if lo is None or hi is None else hi - lo), mem
        ident, width, mem = width_at(k)
        minimal = next(kk for kk in range(1, 2 * d_hat + 2) if width_at(kk)[0])
        ev = {"support": _support_text(S), "d_hat": d_hat, "k": k,
              "block_ranks": {n: f"{r}/{s}" for n, (r, s) in mem.ranks.items()},
              "rule": "identified iff a Hankel/localizing block of m_0..m_(k-1) is singular (exact)"}
        cex = None if ident else _counterexample(lam, beta, k, S)
        w = INF if width is None else float(width)
        return Identification(ident, w, minimal, "exact", cex, "exact", ev)

    def numeric(kk: int) -> MomentInterval:
        m = [float(v) for v in ex.atomic_moments(lam, beta, kk)]
        return moment_interval(m, kk, support, solver=solver, exact=False)
    res = numeric(k)
    scale = float(sum(beta))
    ident = res.width <= IDENTIFIED_RTOL * scale
    minimal = next((kk for kk in range(1, 2 * d_hat + 2)
                    if numeric(kk).width <= IDENTIFIED_RTOL * scale), 2 * d_hat + 1)
    status = "certified" if res.status == "certified" else "inconclusive"
    ev = {**res.evidence, "d_hat": d_hat, "rule": f"identified iff SDP width ≤ {IDENTIFIED_RTOL:g}·m_0"}
    cex = None
    if not ident:
        m_true = float(sum(b * a**k for a, b in zip(lam, beta, strict=True)))
        side = "lower" if abs(m_true - res.lower) >= abs(res.upper - m_true) else "upper"
        if side in res.witnesses:
            at, wt = res.witnesses[side]
            teacher = balanced_teacher([float(a) for a in lam], [float(b) for b in beta])
            student = balanced_teacher(at, wt)
            horizon = max(4 * k, 20)
            cex = {"atoms": at, "weights": wt, "teacher_m_k": m_true,
                   "m_k": float(sum(b * a**k for a, b in zip(at, wt, strict=True))),
                   "student_L_k": student.loss(teacher, k), "extrapolation_horizon": horizon,
                   "student_E_q": student.extrapolation_error(teacher, horizon),
                   "student_E_q_relative": student.extrapolation_error(teacher, horizon, relative=True)}
    return Identification(ident, res.width, minimal, "numeric", cex, status, ev)


@dataclass(frozen=True)
class WorstCase(NotebookRepr):
    """Exact worst case `max_{j≤q} |m_j - ŵ_j|` over measures on S with training moments within δ."""

    value: float
    per_j: np.ndarray         # worst |m_j - ŵ_j| for j = 0 … q
    status: str               # 'certified' if every interval was, else 'inconclusive'
    evidence: dict[str, Any] = field(default_factory=dict)
    certified_j: np.ndarray | None = None  # per j: was the interval of m_j certified


def worst_case_extrapolation(atoms: Sequence[Any], weights: Sequence[Any], k: int, q: int,
                             delta: float, norm: str = "box", support: Any = "unit", *,
                             solver: str = "CLARABEL") -> WorstCase:
    """`max_{j≤q} |m_j - ŵ_j|` over nonnegative μ on S with `|m_j - ŵ_j| ≤ δ` (box) or
    `Σ_{j<k} (m_j - ŵ_j)² ≤ δ` (l2, δ = ε = L_k), j < k: one SDP pair per j ≥ k, each sandwiched.
    """
    S = parse_support(support)
    if S is None:
        raise ValueError("support must be bounded for a finite worst case (on R it is unbounded: N5)")
    lam, beta = _teacher(atoms, weights, S)
    k = check_int("k", k, minimum=1)
    _check_common(k, q, delta, norm, solver)
    check_real("delta", delta, minimum=0.0, strict_min=True)
    w = ex.atomic_moments(lam, beta, q + 1)
    prog = build_program(w[:k], q, S[1], float(delta), norm, "chebyshev")
    per_j = np.zeros(q + 1)
    per_j[:k] = delta if norm == "box" else math.sqrt(delta)
    worst_status, reasons = "certified", []
    max_gap = 0.0
    certified_j = np.ones(q + 1, dtype=bool)
    for j in range(k, q + 1):
        r = _sandwich(prog, w[:k], j, solver, {"support": _support_text(S)})
        if r.status != "certified" and j < q:
            # The degree-j program is exact too (projection of the Hausdorff cone) and smaller,
            # hence better conditioned: retry there before giving up.
            small = build_program(w[:k], j, S[1], float(delta), norm, "chebyshev")
            r = _sandwich(small, w[:k], j, solver, {"support": _support_text(S)})
        certified_j[j] = r.status == "certified"
        target = float(w[j])
        per_j[j] = max(r.upper - target, target - r.lower)
        max_gap = max(max_gap, *map(abs, r.evidence["sandwich_gap"].values()))
        if r.status != "certified":
            worst_status = "inconclusive"
            reasons.append(f"j={j}: {r.evidence.get('reason')}")
    ev = {"k": k, "q": q, "delta": delta, "norm": norm, "max_sandwich_gap": max_gap,
          "argmax_j": int(np.argmax(per_j))}
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
