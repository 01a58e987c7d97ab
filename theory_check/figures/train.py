"""Figures of the training experiments (linear students): F1 extrapolation vs init scale, F2 the
learned state space, F3 impulse responses, F4 balancedness along training (proofs/theory.md C8, C9)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, atoms_label, num, styled, subplots
from theory_check.figures._sweeps import sweep_records
from theory_check.model import balanced_teacher, effective_state_dim, impulse_response
from theory_check.train.linear import train_linear

_HORIZON = 100
# A run "fits" when GD brought L_k to the training tolerance within its step budget; only those
# enter F1(a)'s medians (a run stopped early by the budget has not reached an interpolant).
_FIT_TOL = 1e-12


def _seeds(ctx: FigureContext, n: int) -> list[int]:
    return [int(s) for s in np.random.default_rng(ctx.seed).integers(0, 2**31 - 1, size=n)]


def _targets(atoms: tuple[float, ...], n: int) -> np.ndarray:
    """ŵ_j = Σ_i λ̂_i^j (unit weights), j < n, from the balanced teacher of the model engine."""
    return impulse_response(balanced_teacher(list(atoms)), n)


def _key(atoms: tuple[float, ...], k: int) -> str:
    return f"{'_'.join(f'{a:g}' for a in atoms)}_k{k}"


def _nanstat(fn, a: np.ndarray) -> np.ndarray:
    """Row-wise `fn` over the finite entries; NaN for a row with none (no warning)."""
    return np.array([fn(r[np.isfinite(r)]) if np.isfinite(r).any() else np.nan for r in a])


@figure("F1", title="Implicit extrapolation vs init scale", claims=("C9", "N3"))
@styled
def f1(ctx: FigureContext) -> FigureOutput:
    """Relative E_q (q = 100) of the students that fit (L_k ≤ 10⁻¹²) and final L_k of all, vs σ,
    for d = 40 students, several teachers and k. Runs that did not fit are drawn hollow in (a)
    and left out of its median and band."""
    if ctx.quick:
        scales = np.logspace(-3, 0, 4)
        configs = [((0.9, -0.5), 5), ((0.95,), 3)]
        n_seeds, steps, d = 2, 4000, 20
    else:
        scales = np.logspace(-4, 0, 9)
        configs = [((0.9, -0.5), 5), ((0.9, -0.5), 8), ((0.95,), 3), ((1.0,), 3),
                   ((0.95, -0.5), 5)]
        n_seeds, steps, d = 4, 20000, 40
    seeds = _seeds(ctx, n_seeds)
    fig, (ax_e, ax_l) = subplots(1, 2, width=5.6, height=4.3)
    cols: dict[str, list[Any]] = {"teacher": [], "k": [], "init_scale": [], "seed": [],
                                  "status": [], "train_loss": [], "E_rel": [], "fitted": []}
    n_unfit = 0
    for c, (atoms, k) in enumerate(configs):
        # One sweep per (teacher, k): a task per (σ, seed), resumable from ctx.workdir.
        grid = {"d": d, "k": k, "init_scale": [float(s) for s in scales], "seed": seeds,
                "steps": steps, "horizon": _HORIZON, "loss_tol": _FIT_TOL}
        recs = sweep_records({"teacher": {"atoms": list(atoms)}, "grid": grid}, ctx,
                             f"F1-{'_'.join(f'{a:g}' for a in atoms)}-k{k}")
        by_task = {(r["config"]["init_scale"], r["config"]["seed"]): r["metrics"] for r in recs}
        metrics = [[by_task[(float(s), seed)] for seed in seeds] for s in scales]
        err = np.array([[np.inf if m["extrapolation_error_rel"] is None
                         else float(m["extrapolation_error_rel"]) for m in row] for row in metrics])
        loss = np.array([[float(m["train_loss"]) for m in row] for row in metrics])
        fitted = loss <= _FIT_TOL
        n_unfit += int((~fitted).sum())
        for i, s in enumerate(scales):
            for j, seed in enumerate(seeds):
                for name, v in (("teacher", list(atoms)), ("k", k), ("init_scale", float(s)),
                                ("seed", seed), ("status", metrics[i][j]["status"]),
                                ("train_loss", loss[i, j]), ("E_rel", err[i, j]),
                                ("fitted", bool(fitted[i, j]))):
                    cols[name].append(v)
        lab = f"{atoms_label(atoms)}, $k = {k}$"
        col, mk = PALETTE[c % len(PALETTE)], MARKERS[c % len(MARKERS)]
        err_fit = np.where(fitted, err, np.nan)
        ax_e.plot(scales, _nanstat(np.median, err_fit), marker=mk, color=col, label=lab)
        ax_e.fill_between(scales, _nanstat(np.min, err_fit), _nanstat(np.max, err_fit), color=col,
                          alpha=0.15, lw=0)
        # Runs that did not fit: each drawn hollow, nudged in σ per teacher so they stay apart.
        i_bad, j_bad = np.nonzero(~fitted)
        nudge = 10 ** (0.04 * (c - (len(configs) - 1) / 2))
        ax_e.scatter(scales[i_bad] * nudge, err[i_bad, j_bad], marker=mk, s=24, facecolors="none",
                     edgecolors=col, linewidths=0.9, zorder=3)
        ax_l.plot(scales, np.median(loss, axis=1), marker=mk, color=col, label=lab)
        ax_l.fill_between(scales, loss.min(axis=1), loss.max(axis=1), color=col, alpha=0.15, lw=0)
    ax_e.scatter([], [], marker="o", s=24, facecolors="none", edgecolors="0.3",
                 label=rf"run not fitted ($L_k > {num(_FIT_TOL)[1:-1]}$), not in line/band")
    criterion = ax_l.axhline(_FIT_TOL, color="black", ls="--", lw=1.2,
                             label=rf"fit criterion $L_k \leq {num(_FIT_TOL)[1:-1]}$")
    for ax in (ax_e, ax_l):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"init scale $\sigma$ (entries $\mathcal{N}(0, \sigma^2/d)$)")
    ax_e.set_ylabel(rf"relative extrapolation error $E_{{{_HORIZON}}} / |\hat w_0|$")
    ax_e.set_title(rf"(a) extrapolation of the fitted runs, $d = {d}$")
    ax_l.set_ylabel(r"final training loss $L_k$")
    ax_l.set_title(f"(b) training loss after at most {steps} GD steps")
    ax_e.legend(loc="upper left", fontsize=8)
    # Colours and markers as in (a); this legend only names the criterion line.
    ax_l.legend(handles=[criterion], loc="upper left", fontsize=8)
    data = {**cols, "teacher": ["/".join(f"{a:g}" for a in t) for t in cols["teacher"]]}
    return FigureOutput(fig, data, {"d": d, "steps": steps, "seeds": seeds, "horizon": _HORIZON,
                                    "init_scales": scales,
                                    "configs": [{"atoms": list(a), "k": k} for a, k in configs],
                                    "lr": "default min(1e-2, 0.5/tr(2JᵀJ))",
                                    "fit_criterion": f"train_loss <= {_FIT_TOL:g} (loss_tol)",
                                    "n_not_fitted": n_unfit,
                                    "band": "min–max over the fitted seeds; line: their median"})


# F2 and F3 train one small-init and one large-init student. Both stop at L_k ≤ 10⁻¹² in under
# 2000 steps (< 1 s at d = 40), so quick mode trains the very same students: a smaller d changes
# the large-init student qualitatively (at d = 20 its learned A has spectral radius < 1 and its
# error decays, at d = 40 it grows), and a quick figure must show what the full one shows.
_F23 = {"atoms": (0.9, -0.5), "k": 5, "d": 40, "steps": 20000, "sigmas": (1e-3, 1.0)}


@functools.lru_cache(maxsize=4)
def _runs_cached(seed: int) -> dict[str, Any]:
    """One small-init and one large-init student (shared by F2 and F3, so trained once)."""
    w = _targets(_F23["atoms"], _HORIZON)
    (s,) = _seeds(FigureContext(seed=seed), 1)
    runs: dict[str, Any] = {"w": w}
    for label, sigma in zip(("small", "large"), _F23["sigmas"], strict=True):
        res = train_linear(w, d=_F23["d"], k=_F23["k"], init_scale=sigma, seeds=[s],
                           steps=_F23["steps"])
        runs[label] = res.students[0]
        runs[label + "_sigma"] = sigma
    return runs


def _sigma(x: float) -> str:
    return r"$\sigma$ = " + num(x)


@figure("F2", title="Learned state space: atoms, weights and Hankel singular values", claims=("C9",))
@styled
def f2(ctx: FigureContext) -> FigureOutput:
    """Learned measure (atoms λ_i, weights β_i of the Ho–Kalman realization) and Hankel singular
    values of g_0…g_{q-1}, for a small-init and a large-init student and the teacher."""
    runs = _runs_cached(ctx.seed)
    w, atoms, k, d = runs["w"], _F23["atoms"], _F23["k"], _F23["d"]
    fig, axes = subplots(1, 3, width=4.5, height=3.9)
    data: dict[str, Any] = {"teacher_atoms": list(atoms), "teacher_weights": [1.0] * len(atoms)}
    for ax, label, col, tag in ((axes[0], "small", PALETTE[0], "a"),
                                (axes[1], "large", PALETTE[1], "b")):
        m = runs[label]
        lam = np.array([complex(x) for x in m.learned_atoms])
        beta = np.array([complex(x) for x in m.learned_weights])
        real = np.abs(lam.imag) < 1e-12
        if real.any():
            ax.stem(lam.real[real], beta.real[real], linefmt=col, markerfmt="o", basefmt=" ",
                    label="learned (real atoms)")
        if (~real).any():
            ax.scatter(lam.real[~real], np.abs(beta[~real]), marker="x", color=col,
                       label=r"learned, complex pair: $|\beta|$ at $\mathrm{Re}\,\lambda$")
        ax.scatter(atoms, [1.0] * len(atoms), marker="D", facecolor="none", edgecolor="black",
                   s=60, zorder=3, label="teacher")
        ax.axhline(0, color="0.5", lw=0.8)
        # Head-room above the stems so the legend never covers an atom.
        top = max(1.0, float(np.max(np.abs(beta))) if beta.size else 1.0)
        ax.set_ylim(top=1.75 * top)
        ax.set_xlabel(r"atom $\lambda$ (eigenvalue of $A$)")
        ax.set_ylabel(r"weight $\beta$")
        ax.set_title(f"({tag}) {_sigma(runs[label + '_sigma'])}: {m.effective_dim} atoms, "
                     rf"$E_{{{_HORIZON}}}/|\hat w_0|$ = {num(m.extrapolation_error_rel)}")
        ax.legend(loc="upper center")
        data[f"{label}_atoms_real"] = lam.real
        data[f"{label}_atoms_imag"] = lam.imag
        data[f"{label}_weights_real"] = beta.real
        data[f"{label}_weights_imag"] = beta.imag
    ax = axes[2]
    sv_t = effective_state_dim(w, rtol=1e-4).singular_values
    for label, col, mk in (("small", PALETTE[0], "o"), ("large", PALETTE[1], "s")):
        sv = runs[label].hankel_singular_values
        ax.semilogy(np.arange(1, sv.size + 1), np.maximum(sv, 1e-18), marker=mk, ms=3, color=col,
                    label=_sigma(runs[label + "_sigma"]))
        data[f"{label}_hankel_sv"] = sv
    ax.semilogy(np.arange(1, sv_t.size + 1), np.maximum(sv_t, 1e-18), ls="--", color="black",
                label="teacher")
    data["teacher_hankel_sv"] = sv_t
    ax.axhline(1e-4 * sv_t[0], color="0.5", lw=0.8, ls=":",
               label=r"rank threshold $10^{-4}\, s_1$")
    ax.set_xlabel(r"index $i$")
    ax.set_ylabel(r"Hankel singular value $s_i$ of $[g_{i+j}]$")
    ax.set_title(f"(c) Hankel spectrum, $q = {_HORIZON}$")
    ax.legend(loc="upper right")
    fig.suptitle(f"Teacher {atoms_label(atoms)}, $d = {d}$, $k = {k}$")
    return FigureOutput(fig, data, {"d": d, "k": k, "horizon": _HORIZON, "steps": _F23["steps"],
                                    "small_sigma": _F23["sigmas"][0],
                                    "large_sigma": _F23["sigmas"][1]})


@figure("F3", title="Impulse responses: teacher vs small- and large-init students", claims=("C9", "N3"))
@styled
def f3(ctx: FigureContext) -> FigureOutput:
    """g_j of the teacher and of students from σ = 10⁻³ and σ = 1 for j < q = 100 ≫ k (symlog
    scale, so a growing response stays on the axes), with the training window j < k shaded;
    right: |g_j - ŵ_j| on a log scale."""
    runs = _runs_cached(ctx.seed)
    w, atoms, k, d = runs["w"], _F23["atoms"], _F23["k"], _F23["d"]
    j = np.arange(_HORIZON)
    fig, (ax, ax_err) = subplots(1, 2, width=5.4, height=4.0)
    for a in (ax, ax_err):
        a.axvspan(-0.5, k - 0.5, color="0.85", zorder=0, label=f"training window $j < k = {k}$")
    ax.plot(j, w, color="black", lw=2.6, label=f"teacher {atoms_label(atoms)}", zorder=2)
    data: dict[str, Any] = {"j": j, "teacher": w}
    for label, col, mk in (("small", PALETTE[0], "o"), ("large", PALETTE[1], "s")):
        g = runs[label].impulse_response
        err = np.abs(g - w)
        lab = "student " + _sigma(runs[label + "_sigma"])
        if label == "small":
            ax.plot(j, g, color=col, marker=mk, ms=3, markevery=5, lw=1.2, label=lab, zorder=3)
        else:
            # One point per lag and no line: the response flips sign at every lag, and lines
            # between ±10¹ would fill the panel; the points show its two growing branches.
            ax.plot(j, g, color=col, marker=mk, ms=2.6, ls="none", label=lab, zorder=3)
        ax_err.semilogy(j[err > 0], err[err > 0], color=col, marker=mk, ms=3, markevery=5, lw=1.2)
        data[f"student_{label}"] = g
    # symlog: linear within ±10⁻², logarithmic beyond, so both the teacher's decay and a
    # student's growth to |g_j| ~ 10² are drawn without clipping.
    ax.set_yscale("symlog", linthresh=1e-2, linscale=0.6)
    ax.set_xlabel(r"lag $j$")
    ax.set_ylabel(r"Markov parameter $g_j = C A^j B$ (symlog)")
    ax.set_title(f"(a) impulse responses, $d = {d}$")
    ax_err.set_xlabel(r"lag $j$")
    ax_err.set_ylabel(r"$|g_j - \hat w_j|$")
    ax_err.set_title(r"(b) pointwise error $|g_j - \hat w_j|$")
    # One legend below both panels: inside, it would cover the large-init response.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4)
    return FigureOutput(fig, data, {"d": d, "k": k, "horizon": _HORIZON, "steps": _F23["steps"],
                                    "yscale_a": "symlog, linthresh 1e-2"})


@figure("F4", title="Balancedness along training", claims=("C8",))
@styled
def f4(ctx: FigureContext) -> FigureOutput:
    """‖B - Cᵀ‖/‖B‖ and ‖A - Aᵀ‖/‖A‖ vs GD step for several σ (median over seeds)."""
    atoms, k = (0.9, -0.5), 5
    if ctx.quick:
        scales, d, steps, n_seeds, every = (1e-4, 1e-3, 1e-2, 1e-1), 20, 2000, 2, 25
    else:
        scales, d, steps, n_seeds, every = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 0.3), 40, 20000, 4, 50
    w = _targets(atoms, _HORIZON)
    seeds = _seeds(ctx, n_seeds)
    fig, (ax_b, ax_a) = subplots(1, 2, width=5.0, height=3.9)
    data: dict[str, Any] = {}
    for c, s in enumerate(scales):
        res = train_linear(w, d=d, k=k, init_scale=s, seeds=seeds, steps=steps, loss_tol=0.0,
                           record_every=every)
        h = res.history
        t = np.maximum(h.steps, 1)
        tie, asym = np.median(h.B_minus_Ct_rel, axis=1), np.median(h.A_asym_rel, axis=1)
        col = PALETTE[c % len(PALETTE)]
        ax_b.loglog(t, tie, color=col, label=_sigma(s))
        ax_a.loglog(t, asym, color=col, label=_sigma(s))
        data["step"] = h.steps
        data[f"B_minus_Ct_rel[sigma={s:g}]"] = tie
        data[f"A_asym_rel[sigma={s:g}]"] = asym
        data[f"loss[sigma={s:g}]"] = np.median(h.loss, axis=1)
    ax_b.set_ylabel(r"$\|B - C^\top\|_F \,/\, \|B\|_F$")
    ax_a.set_ylabel(r"$\|A - A^\top\|_F \,/\, \|A\|_F$")
    ax_b.set_title(r"(a) tie of the input and output weights, $B$ vs $C^\top$")
    ax_a.set_title(r"(b) symmetry of the state matrix $A$")
    for ax in (ax_b, ax_a):
        ax.set_xlabel("GD step (step 0 drawn at 1)")
    ax_b.legend(loc="lower left")
    fig.suptitle(f"Balancedness along GD: teacher {atoms_label(atoms)}, $d = {d}$, $k = {k}$, "
                 f"median over {n_seeds} seeds")
    return FigureOutput(fig, data, {"d": d, "k": k, "steps": steps, "seeds": seeds,
                                    "record_every": every, "statistic": "median over seeds"})
