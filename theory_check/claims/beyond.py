"""Claims beyond the paper (proofs/theory.md, marked (beyond)): C12 oscillating memory, C13 MIMO
teachers, C14 the short-memory contrast. Each is tested, not assumed: the verdict may be FAIL."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from theory_check._validate import ParameterError, check_int, check_real
from theory_check.claims._registry import Kind, Outcome, Status, claim
from theory_check.claims.train import (
    _seeds,
    audit_linear_gradient,
    audit_outcome,
    audit_students,
    gradient_outcome,
)
from theory_check.train.linear import train_linear
from theory_check.train.memory import memory_contrast

# --------------------------------------------------------------------------------------------
# C14
# --------------------------------------------------------------------------------------------


@claim(
    "C14",
    title="Short-memory contrast (Emami et al. 2021 vs small init)",
    statement="one long-memory teacher λ̂ = 0.99: from small init GD learns its decay rate and "
              "extrapolates at every k; from large init it fits L_k but learns a much shorter "
              "memory at short k",
    kind=Kind.QUALITATIVE,
    defaults={"teacher_atom": 0.99, "d": 10, "ks": (3, 4), "report_ks": (), "small_scale": 1e-3,
              "large_scale": 0.5, "n_seeds": 3, "steps": 10000, "fit_tol": 1e-8,
              "horizon": 300, "small_rate_tol": 2e-3, "small_max_E_rel": 1e-2,
              "large_max_tail": 0.5, "large_min_E_rel": 0.1},
    thorough={"d": 40, "n_seeds": 8, "steps": 100000, "report_ks": (6, 8, 12)},
    engines=("train", "model"),
    tags=("beyond",),
    headline=("small.max_rate_error", "small.max_E_rel", "large.median_tail",
              "large.median_rate"),
)
def check_c14(rng: np.random.Generator, *, teacher_atom: float, d: int, ks: Sequence[int],
              report_ks: Sequence[int], small_scale: float, large_scale: float, n_seeds: int,
              steps: int, fit_tol: float, horizon: int, small_rate_tol: float,
              small_max_E_rel: float, large_max_tail: float, large_min_E_rel: float) -> Outcome:
    """Teacher `ŵ_j = λ̂^j`; d-state students, full A, default GD step, trained at every k in
    `ks` (judged) and `report_ks` (reported only), from σ_small and σ_large (same seeds).
    Memory beyond the window is summarised by the decay rate ρ and tail T of
    `theory_check.train.memory` (q = `horizon`). PASS iff, at every judged k:

    - every student fits, `L_k ≤ fit_tol` (else INCONCLUSIVE);
    - small init, every student: `|ρ - λ̂| ≤ small_rate_tol` and `E_q/|ŵ_0| ≤ small_max_E_rel`
      (this paper: low-dimensional *long* memory);
    - large init, median over seeds: `T ≤ large_max_tail` and `E_q/|ŵ_0| ≥ large_min_E_rel`
      (Emami et al.: a bias to *short* memory in the large-init regime).
    The gradient is audited against finite differences first and the students' reports are
    recomputed from their parameters (INCONCLUSIVE on a mismatch).
    """
    lam = check_real("teacher_atom", teacher_atom, minimum=0.0, maximum=1.0, strict_min=True)
    d = check_int("d", d, minimum=1)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1)
    ks = [check_int("ks[]", k, minimum=3) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one training length k >= 3")
    report_ks = [check_int("report_ks[]", k, minimum=1) for k in report_ks]
    grad = audit_linear_gradient(rng, param="full")
    if (out := gradient_outcome(grad)) is not None:
        return out
    seeds = _seeds(rng, n_seeds)
    all_ks = list(dict.fromkeys([*ks, *report_ks]))
    w, rows = memory_contrast(lam, d=d, ks=all_ks, init_scales=(small_scale, large_scale),
                              seeds=seeds, steps=steps, loss_tol=fit_tol,
                              horizon=horizon)
    table: list[dict[str, Any]] = []
    for r in rows:
        if (out := audit_outcome(audit_students(r.result, w, r.k),
                                 {"k": r.k, "init_scale": r.init_scale})) is not None:
            return out
        table.append({"k": r.k, "init": "small" if r.init_scale == small_scale else "large",
                      "init_scale": r.init_scale, "decay_rate": list(r.decay_rate),
                      "memory_tail": list(r.memory_tail), "E_rel": list(r.extrapolation_error_rel),
                      "train_loss": list(r.train_loss), "judged": r.k in ks,
                      "median_rate": float(np.median(r.decay_rate)),
                      "median_tail": float(np.median(r.memory_tail)),
                      "median_E_rel": float(np.median(r.extrapolation_error_rel))})
    judged = [t for t in table if t["judged"]]
    small = [t for t in judged if t["init"] == "small"]
    large = [t for t in judged if t["init"] == "large"]
    rate_err = max(abs(v - lam) if np.isfinite(v) else np.inf for t in small
                   for v in t["decay_rate"])
    evidence: dict[str, Any] = {
        "teacher_atom": lam, "teacher_memory_1/(1-λ̂)": 1 / (1 - lam) if lam < 1 else None,
        "d": d, "ks": ks, "report_ks": report_ks, "seeds": seeds, "steps": steps,
        "horizon": horizon, "gradient_audit": grad, "table": table,
        "small.max_rate_error": rate_err,
        "small.max_E_rel": max(max(t["E_rel"]) for t in small),
        "large.median_tail": max(t["median_tail"] for t in large),
        "large.median_rate": max(t["median_rate"] for t in large),
        "large.min_median_E_rel": min(t["median_E_rel"] for t in large),
        "thresholds": {"fit": f"L_k <= {fit_tol:g}",
                       "small (every student)": f"|ρ - λ̂| <= {small_rate_tol:g}, E_rel <= "
                                                f"{small_max_E_rel:g}",
                       "large (median)": f"T <= {large_max_tail:g}, E_rel >= {large_min_E_rel:g}"},
    }
    unfit = [(t["k"], t["init"], max(t["train_loss"])) for t in judged
             if not max(t["train_loss"]) <= fit_tol]
    if unfit:
        k, init, L = unfit[0]
        return Outcome(Status.INCONCLUSIVE, f"{init}-init students at k = {k} did not fit (max L_k "
                       f"{L:.2e} > {fit_tol:g} after {steps} steps): increase steps", evidence)
    fails = []
    for t in small:
        for s, (rho, e) in enumerate(zip(t["decay_rate"], t["E_rel"], strict=True)):
            if not (abs(rho - lam) <= small_rate_tol and e <= small_max_E_rel):
                fails.append({"why": "small init does not learn the long memory", "k": t["k"],
                              "seed": seeds[s], "decay_rate": rho, "E_rel": e,
                              "memory_tail": t["memory_tail"][s]})
    for t in large:
        if not (t["median_tail"] <= large_max_tail and t["median_E_rel"] >= large_min_E_rel):
            fails.append({"why": "large init keeps the long memory (no short-memory bias)",
                          "k": t["k"], "median_tail": t["median_tail"],
                          "median_rate": t["median_rate"], "median_E_rel": t["median_E_rel"]})
    side = "; ".join(f"k = {t['k']}: small ρ = {np.median(s_['decay_rate']):.4f}, T = "
                     f"{np.median(s_['memory_tail']):.3f} vs large ρ = {t['median_rate']:.3f}, "
                     f"T = {t['median_tail']:.3f}, E_rel {t['median_E_rel']:.2g}"
                     for s_, t in zip(small, large, strict=True))
    if fails:
        f = fails[0]
        return Outcome(Status.FAIL, f"{len(fails)} violation(s): {f['why']} at k = {f['k']} ({side})",
                       evidence, counterexample=f)
    return Outcome(Status.PASS, f"λ̂ = {lam:g}: {side}", evidence)


# --------------------------------------------------------------------------------------------
# C13
# --------------------------------------------------------------------------------------------

def _fraction(x: Any) -> Fraction:
    """A teacher number: strings like "9/10" exactly; numbers as the decimal they print as."""
    return Fraction(x) if isinstance(x, str | int | Fraction) else Fraction(str(x))


def _mimo_targets(atoms: Sequence[Fraction], vectors: Sequence[Sequence[Fraction]], q: int
                  ) -> np.ndarray:
    lam = np.array([float(a) for a in atoms])
    Bt = np.array([[float(x) for x in v] for v in vectors])  # rows b_iᵀ
    return np.array([Bt.T @ np.diag(lam**j) @ Bt for j in range(q)])


def _audit_mimo(res: Any, W: np.ndarray, k: int) -> dict[str, Any]:
    """Recompute each MIMO student's L_k and E_q from its parameters with matrix powers (an
    independent formula for G_j = C A^j B) and compare with the trainer's report."""
    bad = []
    for s in res.students:
        if s.status == "diverged":
            continue
        G = np.array([s.C @ np.linalg.matrix_power(s.A, j) @ s.B for j in range(W.shape[0])])
        L = float(np.sum((G[:k] - W[:k]) ** 2))
        E = float(np.max(np.abs(G - W)))
        if not abs(L - s.train_loss) <= 1e-6 * max(L, s.train_loss) + 1e-14:
            bad.append({"seed": s.seed, "quantity": "train_loss", "reported": s.train_loss,
                        "recomputed": L})
        if not abs(E - s.extrapolation_error) <= 1e-6 * max(E, 1e-12):
            bad.append({"seed": s.seed, "quantity": "extrapolation_error",
                        "reported": s.extrapolation_error, "recomputed": E})
    return {"ok": not bad, "n_checked": len(res.students), "mismatches": bad[:5],
            "n_mismatches": len(bad)}


@claim(
    "C13",
    title="MIMO teachers: identifiability from block Hankel matrices",
    statement="balanced MIMO teachers (m = p, A = Aᵀ, B = Cᵀ): an exact block-Hankel certificate "
              "gives the minimal k per teacher, with a fitting balanced counterexample at k - 1; "
              "MIMO students trained by GD from small init at that k extrapolate",
    kind=Kind.THRESHOLD,
    defaults={"teachers": ((("9/10", "-1/2"), (("1", "0"), ("1/2", "1"))),
                           (("9/10", "-1/2", "3/10"), (("1", "0"), ("0", "1"), ("1", "1"))),
                           (("9/10", "-1/2", "3/10"), (("1", "0"), ("2", "0"), ("1", "0")))),
              "n_max": 4, "grid_points": 41, "gap_tol": 1e-4, "residual_tol": 1e-7,
              "train_teacher": 1, "d": 6, "n_seeds": 3, "small_scale": 1e-3, "lr": 0.02,
              "steps": 8000, "fit_tol": 1e-8, "max_E_rel": 1e-2, "rank_rtol": 1e-4,
              "horizon": 100},
    thorough={"teachers": ((("9/10", "-1/2"), (("1", "0"), ("1/2", "1"))),
                           (("9/10", "-1/2", "3/10"), (("1", "0"), ("0", "1"), ("1", "1"))),
                           (("9/10", "-1/2", "3/10"), (("1", "0"), ("2", "0"), ("1", "0"))),
                           (("9/10", "-1/2", "3/10", "-4/5"),
                            (("1", "0"), ("0", "1"), ("1", "1"), ("1", "-2"))),
                           (("9/10", "-1/2", "3/10", "-4/5"),
                            (("1", "0", "0"), ("0", "1", "0"), ("0", "0", "1"), ("1", "1", "1")))),
              "grid_points": 81, "d": 12, "n_seeds": 8, "steps": 40000},
    engines=("moments", "train"),
    tags=("beyond",),
    headline=("k_min", "generic_formula", "min_gap_below", "train.max_E_rel"),
)
def check_c13(rng: np.random.Generator, *, teachers: Sequence[Any], n_max: int, grid_points: int,
              gap_tol: float, residual_tol: float, train_teacher: int, d: int, n_seeds: int,
              small_scale: float, lr: float, steps: int, fit_tol: float, max_E_rel: float,
              rank_rtol: float, horizon: int) -> Outcome:
    """For each teacher (atoms λ̂_i, vectors b_i ∈ Q^m; A = diag(λ̂), B = [b_iᵀ], C = Bᵀ):

    1. *Exact threshold.* k_min = the least k = 2n+1 (n ≤ `n_max`) at which the block-Hankel
       kernel certificate (`moments._mimo.matrix_identified`) proves that M_0 … M_{k-1}
       determine μ̂ among all PSD matrix measures on R (= every balanced student with L_k = 0
       extrapolates). Compared with the generic formula 2⌈d̂/m⌉ + 1 (reported).
    2. *Counterexample below.* An SDP over PSD matrix measures on a grid of `grid_points` in
       [-1, 1] (plus the atoms) matching M_0 … M_{k_min-2} exactly (residual ≤ `residual_tol`)
       ranges ⟨Y, M_{k_min-1}⟩ over an interval of width > `gap_tol`: a balanced measure (a
       balanced student of dimension m·#atoms) that fits L_{k_min-1} = 0 and does not
       extrapolate. At k_min the same SDP must give width ≤ `gap_tol` (a numerical cross-check
       of the exact certificate).
    3. *Training.* For teacher `train_teacher`, MIMO students (d states, full A, m = p) trained by
       batched GD from σ = `small_scale` at k = k_min must fit (L_k ≤ `fit_tol`, else
       INCONCLUSIVE), extrapolate (E_q = max_{j<q} max|G_j - Ŵ_j| ≤ `max_E_rel`·max|Ŵ_0|) and
       have block-Hankel rank d̂ at `rank_rtol`. The same at k_min - 1 is reported.
    No certificate up to n_max, no gap below, or certificate and SDP disagreeing: INCONCLUSIVE.
    """
    from theory_check.moments._mimo import matrix_identified, matrix_moment_gap, matrix_moments
    from theory_check.train.mimo import train_mimo

    n_max = check_int("n_max", n_max, minimum=0, maximum=8)
    grid_points = check_int("grid_points", grid_points, minimum=5)
    train_teacher = check_int("train_teacher", train_teacher, minimum=0, maximum=len(teachers) - 1)
    parsed = []
    for t in teachers:
        atoms, vectors = t
        atoms = [_fraction(a) for a in atoms]
        vectors = [[_fraction(x) for x in v] for v in vectors]
        if len(atoms) != len(vectors) or len({len(v) for v in vectors}) != 1:
            raise ParameterError("teachers", "each teacher is (atoms, vectors) with one vector "
                                 f"b_i ∈ Q^m per atom; got {t!r}")
        if len(set(atoms)) != len(atoms):
            raise ParameterError("teachers", f"teacher atoms must be distinct; got {t!r}")
        parsed.append((atoms, vectors))
    m_train = len(parsed[train_teacher][1][0])
    grad = audit_linear_gradient(rng, m=m_train, p=m_train)
    if (out := gradient_outcome(grad, "batched_loss_gradient_mimo")) is not None:
        return out
    rows: list[dict[str, Any]] = []
    for atoms, vectors in parsed:
        d_hat, m = len(atoms), len(vectors[0])
        M = matrix_moments(atoms, vectors, 2 * n_max + 2)
        cert = None
        for n in range(n_max + 1):
            c = matrix_identified(M, n)
            if c.identified:
                cert = c
                break
        row: dict[str, Any] = {"atoms": [str(a) for a in atoms],
                               "vectors": [[str(x) for x in v] for v in vectors], "d_hat": d_hat,
                               "m": m, "generic_formula": 2 * -(-d_hat // m) + 1,
                               "k_min": None if cert is None else cert.k}
        rows.append(row)
        if cert is None:
            row["why"] = f"no certificate for k = 2n+1 ≤ {2 * n_max + 1}"
            continue
        row["certificate"] = {"support": [str(z) for z in cert.support],
                              "range_dims": list(cert.ranges), "kernel_dim": cert.kernel_dim,
                              "why": cert.why}
        Mf = [np.array(x.tolist(), dtype=float) for x in M]
        grid = np.unique(np.concatenate([np.linspace(-1, 1, grid_points),
                                         [float(a) for a in atoms]]))
        seed = int(rng.integers(2**31))
        at = matrix_moment_gap(Mf, cert.k, grid=grid, seed=seed)
        row["gap_at_k_min"] = at.get("gap")
        if cert.k >= 2:
            below = matrix_moment_gap(Mf, cert.k - 1, grid=grid, seed=seed)
            row["gap_below"] = below.get("gap")
            row["residual_below"] = below.get("residual")
            row["counterexample"] = {"k": cert.k - 1, "measure": below.get("measure_upper"),
                                     "M_k_student": below.get("M_k_upper"),
                                     "M_k_teacher": Mf[cert.k - 1].tolist()}
    evidence: dict[str, Any] = {"teachers": rows, "grid_points": grid_points, "gap_tol": gap_tol,
                                "residual_tol": residual_tol}
    ks = [r["k_min"] for r in rows]
    evidence["k_min"] = ks
    evidence["generic_formula"] = [r["generic_formula"] for r in rows]
    gaps = [r.get("gap_below") for r in rows if r.get("k_min", 0) and r["k_min"] >= 2]
    evidence["min_gap_below"] = min(gaps) if gaps and None not in gaps else None
    for r in rows:
        if r["k_min"] is None:
            return Outcome(Status.INCONCLUSIVE, f"teacher {r['atoms']}: {r['why']}", evidence)
        g_at = r.get("gap_at_k_min")
        if g_at is None or not np.isfinite(g_at) or g_at > gap_tol:
            return Outcome(Status.INCONCLUSIVE, f"teacher {r['atoms']}: the exact certificate at k = "
                           f"{r['k_min']} and the SDP disagree (width {g_at!r} > {gap_tol:g})",
                           evidence)
        if r["k_min"] >= 2:
            gb, res_b = r.get("gap_below"), r.get("residual_below")
            if gb is None or not np.isfinite(gb) or gb <= gap_tol or res_b is None \
                    or res_b > residual_tol:
                return Outcome(Status.INCONCLUSIVE, f"teacher {r['atoms']}: no counterexample at "
                               f"k = {r['k_min'] - 1} (SDP width {gb!r}, residual {res_b!r}): "
                               "the threshold is not shown to be sharp", evidence)
    # Training part.
    atoms, vectors = parsed[train_teacher]
    row = rows[train_teacher]
    k = row["k_min"]
    evidence["gradient_audit"] = grad
    W = _mimo_targets(atoms, vectors, horizon)
    seeds = _seeds(rng, n_seeds)
    train: dict[str, Any] = {"teacher": row["atoms"], "d": d, "lr": lr, "steps": steps,
                             "small_scale": small_scale}
    for kk in ([k - 1, k] if k >= 2 else [k]):
        res = train_mimo(W, d=d, k=kk, init_scale=small_scale, seeds=seeds, lr=lr, steps=steps,
                         loss_tol=min(fit_tol, 1e-10), rank_rtol=rank_rtol)
        aud = _audit_mimo(res, W, kk)
        if not aud["ok"]:
            b = aud["mismatches"][0]
            return Outcome(Status.INCONCLUSIVE, f"the MIMO trainer's report disagrees with the "
                           f"recomputation (seed {b['seed']}: {b['quantity']} reported "
                           f"{b['reported']!r}, recomputed {b['recomputed']!r})",
                           {**evidence, "student_audit": aud})
        train[f"k={kk}"] = {"train_loss": [s.train_loss for s in res.students],
                            "E_rel": [s.extrapolation_error_rel for s in res.students],
                            "effective_dim": [s.effective_dim for s in res.students],
                            "B_minus_Ct_rel": [s.B_minus_Ct_rel for s in res.students],
                            "status": [s.status for s in res.students]}
        if kk == k:
            judged = res
    evidence["train"] = train
    evidence["train.max_E_rel"] = max(s.extrapolation_error_rel for s in judged.students)
    d_hat = len(atoms)
    unfit = [s for s in judged.students if not s.train_loss <= fit_tol]
    if unfit:
        return Outcome(Status.INCONCLUSIVE, f"MIMO student seed {unfit[0].seed} has L_k = "
                       f"{unfit[0].train_loss:.2e} > {fit_tol:g} after {steps} steps", evidence)
    bad = [s for s in judged.students
           if s.extrapolation_error_rel > max_E_rel or s.effective_dim != d_hat]
    summary = (f"k_min = {ks} (generic 2⌈d̂/m⌉+1 = {evidence['generic_formula']}), exact "
               f"certificates; counterexamples at k_min - 1 with SDP width ≥ "
               f"{evidence['min_gap_below']:.3g}; GD from σ = {small_scale:g} at k = {k}: max "
               f"E_rel {evidence['train.max_E_rel']:.2g}")
    if bad:
        s = bad[0]
        return Outcome(Status.FAIL, f"a small-init MIMO student does not extrapolate / has the "
                       f"wrong dimension (seed {s.seed}: E_rel {s.extrapolation_error_rel:.3g}, "
                       f"dim {s.effective_dim} vs d̂ = {d_hat}); {summary}", evidence,
                       counterexample={"seed": s.seed, "E_rel": s.extrapolation_error_rel,
                                       "effective_dim": s.effective_dim, "k": k,
                                       "train_loss": s.train_loss})
    return Outcome(Status.PASS, summary + f", dim = d̂ = {d_hat}", evidence)


# --------------------------------------------------------------------------------------------
# C12
# --------------------------------------------------------------------------------------------

def audit_complex_diagonal_gradient(rng: np.random.Generator, *, d: int = 3, k: int = 5,
                                    n_points: int = 2) -> dict[str, Any]:
    """`complex_diagonal_loss_gradient` at random points against `fd_gradient` of
    `L_k = Σ_j (Re Σ_i c_i λ_i^j b_i - ŵ_j)²` written with mpmath complex numbers."""
    import mpmath

    from theory_check.claims.train import GRAD_RTOL, fd_gradient
    from theory_check.train.complex_diag import complex_diagonal_loss_gradient

    worst = 0.0
    for _ in range(n_points):
        th = 0.6 * rng.standard_normal((6, d))
        w = rng.standard_normal(k)
        _, g = complex_diagonal_loss_gradient(th[None], w)

        def loss(x: list[Any], w: np.ndarray = w) -> Any:
            p = [x[i * d:(i + 1) * d] for i in range(6)]
            total = mpmath.mpf(0)
            for j in range(k):
                s = mpmath.fsum(mpmath.re(mpmath.mpc(p[4][i], p[5][i]) * mpmath.mpc(p[0][i], p[1][i]) ** j
                                          * mpmath.mpc(p[2][i], p[3][i])) for i in range(d))
                total += (s - float(w[j])) ** 2
            return total

        fd = fd_gradient(loss, th.ravel())
        err = float(np.max(np.abs(g[0].ravel() - fd)) / max(1.0, float(np.max(np.abs(fd)))))
        worst = max(worst, err if np.isfinite(err) else np.inf)
    return {"d": d, "k": k, "n_points": n_points, "max_rel_error": worst, "rtol": GRAD_RTOL,
            "method": "central differences, h = 1e-12, mp.dps = 40", "ok": bool(worst <= GRAD_RTOL)}


@claim(
    "C12",
    title="Oscillating memory (complex-conjugate teacher)",
    statement="teacher ŵ_j = ρ^j cos(jω): full-A students from small init fit, extrapolate and "
              "learn the complex pair (d̂ = 2); balanced (real-spectrum) students cannot fit; "
              "complex-diagonal students from small init fit the window but not the teacher's "
              "state space (rank > 2, error ≫ what the loss explains)",
    kind=Kind.QUALITATIVE,
    defaults={"rho": 0.9, "omega": 0.6283185307179586, "d": 20, "k": 5, "small_scale": 1e-3,
              "n_seeds": 3, "steps": 20000, "fit_tol": 1e-8, "max_E_rel": 1e-2,
              "atom_tol": 1e-2, "rank_rtol": 1e-4, "horizon": 100, "balanced_steps": 3000,
              "balanced_min_loss_rel": 1e-2, "cd_d": 8, "cd_lr": 0.06, "cd_steps": 30000,
              "cd_fit_tol": 1e-5, "cd_min_amplification": 30.0},
    thorough={"d": 40, "n_seeds": 8, "cd_d": 20, "cd_steps": 200000, "balanced_steps": 20000},
    engines=("train", "model"),
    tags=("beyond",),
    headline=("full.max_E_rel", "full.max_amplification", "balanced.min_loss_rel",
              "complex_diag.min_amplification"),
)
def check_c12(rng: np.random.Generator, *, rho: float, omega: float, d: int, k: int,
              small_scale: float, n_seeds: int, steps: int, fit_tol: float, max_E_rel: float,
              atom_tol: float, rank_rtol: float, horizon: int, balanced_steps: int,
              balanced_min_loss_rel: float, cd_d: int, cd_lr: float, cd_steps: int,
              cd_fit_tol: float, cd_min_amplification: float) -> Outcome:
    """Teacher `ŵ_j = ρ^j cos(jω)` (A = ρ·rotation(ω), d̂ = 2; not a moment sequence of a
    nonnegative measure), trained at k (default 2d̂ + 1 = 5), horizon q, students from σ_small:

    1. full A (d states, default step): every student fits (L_k ≤ `fit_tol`, else
       INCONCLUSIVE), `E_q/|ŵ_0| ≤ max_E_rel`, Hankel rank 2, and its Ho–Kalman atoms are a
       complex pair with ||λ| - ρ| ≤ `atom_tol` and |arg λ| within `atom_tol` of ω;
    2. balanced diagonal (real spectrum, A = diag(a), B = Cᵀ): after `balanced_steps` GD steps
       every student has `L_k ≥ balanced_min_loss_rel · Σ_{j<k} ŵ_j²` (it cannot fit);
    3. complex-diagonal (`train.complex_diag`, `cd_d` modes, step `cd_lr`, `cd_steps` steps):
       among the students with `L_k ≤ cd_fit_tol` (at least one, else INCONCLUSIVE) every one
       has Hankel rank > 2 and amplification `a = (E_q/|ŵ_0|) / √(L_k/Σ_{j<k} ŵ_j²) ≥
       cd_min_amplification` (it fits the window but not the teacher's state space: its error
       beyond k is far larger than its training loss explains; full A: a ≈ 12, reported).
    Gradients of both trainers are audited against mpmath finite differences first and the
    full-A students' reports are recomputed from their parameters.
    """
    from theory_check.train.complex_diag import train_complex_diagonal

    rho = check_real("rho", rho, minimum=0.0, maximum=1.0, strict_min=True)
    omega = check_real("omega", omega, minimum=0.0, maximum=float(np.pi), strict_min=True)
    k = check_int("k", k, minimum=1)
    q = check_int("horizon", horizon, minimum=k + 1)
    for audit, what in ((audit_linear_gradient(rng, param="full"), "batched_loss_gradient"),
                        (audit_linear_gradient(rng, param="balanced_diagonal"),
                         "batched_loss_gradient (balanced diagonal)"),
                        (audit_complex_diagonal_gradient(rng), "complex_diagonal_loss_gradient")):
        if (out := gradient_outcome(audit, what)) is not None:
            return out
    j = np.arange(q)
    w = rho**j * np.cos(j * omega)
    seeds = _seeds(rng, n_seeds)
    evidence: dict[str, Any] = {"rho": rho, "omega": omega, "teacher_atoms": [
        [rho * np.cos(omega), rho * np.sin(omega)], [rho * np.cos(omega), -rho * np.sin(omega)]],
        "k": k, "horizon": q, "seeds": seeds}
    full = train_linear(w, d=d, k=k, init_scale=small_scale, seeds=seeds, steps=steps,
                        loss_tol=min(fit_tol, 1e-10), rank_rtol=rank_rtol)
    if (out := audit_outcome(audit_students(full, w, k), evidence)) is not None:
        return out
    bal = train_linear(w, d=d, k=k, init_scale=small_scale, seeds=seeds, steps=balanced_steps,
                       param="balanced_diagonal", loss_tol=0.0)
    cd = train_complex_diagonal(w, d=cd_d, k=k, init_scale=small_scale, seeds=seeds, lr=cd_lr,
                                steps=cd_steps, loss_tol=min(cd_fit_tol, 1e-10), rank_rtol=rank_rtol)
    wk = float(w[:k] @ w[:k])
    atoms = [[complex(a) for a in m.learned_atoms] for m in full.students]
    evidence.update({
        "full.train_loss": [m.train_loss for m in full.students],
        "full.E_rel": [m.extrapolation_error_rel for m in full.students],
        "full.effective_dim": [m.effective_dim for m in full.students],
        "full.atoms": [[[z.real, z.imag] for z in a] for a in atoms],
        "full.atoms_abs": [[abs(z) for z in a] for a in atoms],
        "full.max_E_rel": max((m.extrapolation_error_rel or np.inf) for m in full.students),
        "balanced.loss_rel": [m.train_loss / wk for m in bal.students],
        "balanced.min_loss_rel": min(m.train_loss / wk for m in bal.students),
        "complex_diag.train_loss": [s.train_loss for s in cd.students],
        "complex_diag.E_rel": [s.extrapolation_error_rel for s in cd.students],
        "complex_diag.effective_dim": [s.effective_dim for s in cd.students],
        "complex_diag.top_modes": [[[z.real, z.imag] for z in sorted(
            s.modes, key=lambda z: -abs(z))[:4]] for s in cd.students],
        "thresholds": {"full": f"L_k <= {fit_tol:g}, E_rel <= {max_E_rel:g}, rank 2, ||λ|-ρ|, "
                               f"|arg λ - ω| <= {atom_tol:g}",
                       "balanced": f"L_k / Σŵ² >= {balanced_min_loss_rel:g}",
                       "complex_diag": f"fitted (L_k <= {cd_fit_tol:g}) students: rank > 2 "
                                       f"and E_rel/sqrt(L_k/Σŵ²) >= {cd_min_amplification:g}"},
    })
    unfit = [m for m in full.students if not m.train_loss <= fit_tol]
    if unfit:
        return Outcome(Status.INCONCLUSIVE, f"full-A student seed {unfit[0].seed} has L_k = "
                       f"{unfit[0].train_loss:.2e} > {fit_tol:g} after {steps} steps", evidence)
    cd_fit = [s for s in cd.students if s.train_loss <= cd_fit_tol]
    evidence["complex_diag.n_fitted"] = len(cd_fit)
    def amp(E: float, L: float) -> float:
        return E / max(np.sqrt(L / wk), 1e-300)

    evidence["complex_diag.amplification"] = [amp(s.extrapolation_error_rel, s.train_loss)
                                              for s in cd.students]
    evidence["complex_diag.min_amplification"] = min(
        (amp(s.extrapolation_error_rel, s.train_loss) for s in cd_fit), default=None)
    evidence["full.amplification"] = [amp(m.extrapolation_error_rel, m.train_loss)
                                      for m in full.students]
    evidence["full.max_amplification"] = max(evidence["full.amplification"])
    fails = []
    for m, a in zip(full.students, atoms, strict=True):
        pair_ok = len(a) == 2 and all(abs(abs(z) - rho) <= atom_tol
                                      and abs(abs(np.angle(z)) - omega) <= atom_tol for z in a)
        if not (m.extrapolation_error_rel <= max_E_rel and m.effective_dim == 2 and pair_ok):
            fails.append({"part": "full A", "seed": m.seed, "E_rel": m.extrapolation_error_rel,
                          "effective_dim": m.effective_dim, "atoms": [[z.real, z.imag] for z in a]})
    for m in bal.students:
        if m.train_loss / wk < balanced_min_loss_rel:
            fails.append({"part": "balanced", "seed": m.seed, "loss_rel": m.train_loss / wk,
                          "why": "a real-spectrum balanced student fits the oscillating teacher"})
    for s in cd_fit:
        a = amp(s.extrapolation_error_rel, s.train_loss)
        if not (s.effective_dim > 2 and a >= cd_min_amplification):
            fails.append({"part": "complex diagonal", "seed": s.seed, "train_loss": s.train_loss,
                          "E_rel": s.extrapolation_error_rel, "amplification": a,
                          "effective_dim": s.effective_dim,
                          "why": "a complex-diagonal student from small init learns the teacher's "
                                 "state space (rank 2 / error explained by the loss)"})
    if fails:
        f = fails[0]
        return Outcome(Status.FAIL, f"{len(fails)} violation(s); e.g. {f['part']} seed {f['seed']}: "
                       f"{f}", evidence, counterexample=f)
    if not cd_fit:
        return Outcome(Status.INCONCLUSIVE, f"no complex-diagonal student reached L_k ≤ "
                       f"{cd_fit_tol:g} in {cd_steps} steps (min "
                       f"{min(s.train_loss for s in cd.students):.2e}): increase cd_steps", evidence)
    return Outcome(Status.PASS, f"full A: max E_rel {evidence['full.max_E_rel']:.1e}, rank 2, "
                   f"atoms |λ| = {np.mean(evidence['full.atoms_abs']):.4f} (ρ = {rho:g}); balanced: "
                   f"L_k/Σŵ² ≥ {evidence['balanced.min_loss_rel']:.2g}; complex diagonal: "
                   f"{len(cd_fit)}/{len(cd.students)} fitted, rank > 2, amplification ≥ "
                   f"{evidence['complex_diag.min_amplification']:.3g} (full A ≤ "
                   f"{evidence['full.max_amplification']:.3g})", evidence)
