"""Figures of the training experiments (linear students): F1 extrapolation vs init scale, F2 the
learned state space, F3 impulse responses, F4 balancedness along training (THEORY.md C8, C9)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from theory_check.claims.train import teacher_targets
from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, subplots
from theory_check.figures._sweeps import sweep_records
from theory_check.model import effective_state_dim
from theory_check.train.linear import train_linear

_HORIZON = 100


def _seeds(ctx: FigureContext, n: int) -> list[int]:
    return [int(s) for s in np.random.default_rng(ctx.seed).integers(0, 2**31 - 1, size=n)]


def _label(atoms: tuple[float, ...]) -> str:
    return "λ̂ = {" + ", ".join(f"{a:g}" for a in atoms) + "}"


@figure("F1", title="Implicit extrapolation vs init scale", claims=("C9", "N3"))
def f1(ctx: FigureContext) -> FigureOutput:
    """Relative E_q (q = 100) and final L_k vs σ for d = 40 students, several teachers and k."""
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
    fig, (ax_e, ax_l) = subplots(1, 2, width=5.2, height=3.9)
    data: dict[str, Any] = {"init_scale": scales}
    for c, (atoms, k) in enumerate(configs):
        # One sweep per (teacher, k): a task per (σ, seed), resumable from ctx.workdir.
        grid = {"d": d, "k": k, "init_scale": [float(s) for s in scales], "seed": seeds,
                "steps": steps, "horizon": _HORIZON}
        recs = sweep_records({"teacher": {"atoms": list(atoms)}, "grid": grid}, ctx,
                             f"F1-{'_'.join(f'{a:g}' for a in atoms)}-k{k}")
        by_task = {(r["config"]["init_scale"], r["config"]["seed"]): r["metrics"] for r in recs}
        metrics = [[by_task[(float(s), seed)] for seed in seeds] for s in scales]
        err = np.array([[np.inf if m["extrapolation_error_rel"] is None
                         else float(m["extrapolation_error_rel"]) for m in row] for row in metrics])
        loss = np.array([[float(m["train_loss"]) for m in row] for row in metrics])
        lab = f"{_label(atoms)}, k = {k}"
        col, mk = PALETTE[c % len(PALETTE)], MARKERS[c % len(MARKERS)]
        med = np.median(err, axis=1)
        ax_e.plot(scales, med, marker=mk, color=col, label=lab)
        ax_e.fill_between(scales, err.min(axis=1), err.max(axis=1), color=col, alpha=0.15, lw=0)
        ax_l.plot(scales, np.median(loss, axis=1), marker=mk, color=col, label=lab)
        ax_l.fill_between(scales, loss.min(axis=1), loss.max(axis=1), color=col, alpha=0.15, lw=0)
        key = f"{'_'.join(f'{a:g}' for a in atoms)}_k{k}"
        data[f"E_rel_median[{key}]"] = med
        data[f"train_loss_median[{key}]"] = np.median(loss, axis=1)
        data[f"E_rel_max[{key}]"] = err.max(axis=1)
    for ax in (ax_e, ax_l):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("init scale σ (entries N(0, σ²/d))")
    ax_e.set_ylabel(f"relative extrapolation error E_{_HORIZON} / |ŵ₀|")
    ax_e.set_title(f"(a) extrapolation, d = {d}")
    ax_l.set_ylabel("final training loss L_k")
    ax_l.set_title(f"(b) training loss after ≤ {steps} GD steps")
    ax_e.legend(loc="upper left")
    return FigureOutput(fig, data, {"d": d, "steps": steps, "seeds": seeds, "horizon": _HORIZON,
                                    "configs": [{"atoms": list(a), "k": k} for a, k in configs],
                                    "lr": "default min(1e-2, 0.5/tr(2JᵀJ))",
                                    "band": "min–max over seeds; line: median"})


def _f2_f3_runs(ctx: FigureContext) -> tuple[dict[str, Any], np.ndarray, tuple[float, ...], int, int]:
    return _runs_cached(ctx.quick, ctx.seed)


@functools.lru_cache(maxsize=4)
def _runs_cached(quick: bool, seed: int) -> tuple[dict[str, Any], np.ndarray, tuple[float, ...], int, int]:
    """One small-init and one large-init student (shared by F2 and F3, so trained once)."""
    ctx = FigureContext(quick=quick, seed=seed)
    atoms, k = (0.9, -0.5), 5
    d = 20 if quick else 40
    w = teacher_targets(atoms, None, _HORIZON)
    seed = _seeds(ctx, 1)
    runs = {}
    for label, s in (("small", 1e-3), ("large", 1.0)):
        runs[label] = train_linear(w, d=d, k=k, init_scale=s, seeds=seed, steps=20000).students[0]
        runs[label + "_sigma"] = s
    return runs, w, atoms, k, d


@figure("F2", title="Learned state space: atoms, weights and Hankel singular values", claims=("C9",))
def f2(ctx: FigureContext) -> FigureOutput:
    """Learned measure (atoms λ_i, weights β_i of the Ho–Kalman realization) and Hankel singular
    values of g_0…g_{q-1}, for a small-init and a large-init student and the teacher."""
    runs, w, atoms, k, d = _f2_f3_runs(ctx)
    fig, axes = subplots(1, 3, width=4.4, height=3.7)
    data: dict[str, Any] = {"teacher_atoms": list(atoms), "teacher_weights": [1.0] * len(atoms)}
    for ax, label, col in ((axes[0], "small", PALETTE[0]), (axes[1], "large", PALETTE[1])):
        m = runs[label]
        lam = np.array([complex(x) for x in m.learned_atoms])
        beta = np.array([complex(x) for x in m.learned_weights])
        real = np.abs(lam.imag) < 1e-12
        if real.any():
            ax.stem(lam.real[real], beta.real[real], linefmt=col, markerfmt="o", basefmt=" ",
                    label="learned (real atoms)")
        if (~real).any():
            ax.scatter(lam.real[~real], np.abs(beta[~real]), marker="x", color=col,
                       label="learned, complex pair: |β| at Re λ")
        ax.scatter(atoms, [1.0] * len(atoms), marker="D", facecolor="none", edgecolor="black",
                   s=60, zorder=3, label="teacher")
        ax.axhline(0, color="0.5", lw=0.8)
        # Head-room above the stems so the legend never covers an atom.
        top = max(1.0, float(np.max(np.abs(beta))) if beta.size else 1.0)
        ax.set_ylim(top=1.75 * top)
        ax.set_xlabel("atom λ (eigenvalue axis)")
        ax.set_ylabel("weight β")
        ax.set_title(f"({'a' if label == 'small' else 'b'}) σ = {runs[label + '_sigma']:g}: "
                     f"{m.effective_dim} atoms, E_rel = {m.extrapolation_error_rel:.1e}",
                     fontsize=10)
        ax.legend(loc="upper center", fontsize=8)
        data[f"{label}_atoms_real"] = lam.real
        data[f"{label}_atoms_imag"] = lam.imag
        data[f"{label}_weights_real"] = beta.real
        data[f"{label}_weights_imag"] = beta.imag
    ax = axes[2]
    sv_t = effective_state_dim(w, rtol=1e-4).singular_values
    for label, col, mk in (("small", PALETTE[0], "o"), ("large", PALETTE[1], "s")):
        sv = runs[label].hankel_singular_values
        ax.semilogy(np.arange(1, sv.size + 1), np.maximum(sv, 1e-18), marker=mk, ms=3, color=col,
                    label=f"σ = {runs[label + '_sigma']:g}")
        data[f"{label}_hankel_sv"] = sv
    ax.semilogy(np.arange(1, sv_t.size + 1), np.maximum(sv_t, 1e-18), ls="--", color="black",
                label="teacher")
    data["teacher_hankel_sv"] = sv_t
    ax.axhline(1e-4 * sv_t[0], color="0.5", lw=0.8, ls=":", label="rank threshold 1e-4·s₁")
    ax.set_xlabel("index i")
    ax.set_ylabel("Hankel singular value s_i of [g_{i+j}]")
    ax.set_title(f"(c) Hankel spectrum, q = {_HORIZON}", fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    fig.suptitle(f"Teacher {_label(atoms)}, d = {d}, k = {k}", fontsize=11)
    return FigureOutput(fig, data, {"d": d, "k": k, "horizon": _HORIZON, "steps": 20000,
                                    "small_sigma": 1e-3, "large_sigma": 1.0})


@figure("F3", title="Impulse responses: teacher vs small- and large-init students", claims=("C9", "N3"))
def f3(ctx: FigureContext) -> FigureOutput:
    """g_j of the teacher and of students from σ = 1e-3 and σ = 1 for j < q = 100 ≫ k, with the
    training window j < k shaded; right: |g_j - ŵ_j| on a log scale."""
    runs, w, atoms, k, d = _f2_f3_runs(ctx)
    j = np.arange(_HORIZON)
    fig, (ax, ax_err) = subplots(1, 2, width=5.2, height=3.8)
    for a in (ax, ax_err):
        a.axvspan(-0.5, k - 0.5, color="0.85", zorder=0, label=f"training window j < k = {k}")
    ax.plot(j, w, color="black", lw=2.4, label=f"teacher {_label(atoms)}")
    data: dict[str, Any] = {"j": j, "teacher": w}
    for label, col, ls in (("small", PALETTE[0], "-"), ("large", PALETTE[1], "--")):
        g = runs[label].impulse_response
        ax.plot(j, g, color=col, ls=ls, label=f"student σ = {runs[label + '_sigma']:g}")
        ax_err.semilogy(j, np.maximum(np.abs(g - w), 1e-17), color=col, ls=ls,
                        label=f"σ = {runs[label + '_sigma']:g}")
        data[f"student_{label}"] = g
    lim = 2.5 * np.max(np.abs(w))
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("j")
    ax.set_ylabel("Markov parameter g_j = C A^j B")
    ax.set_title(f"(a) impulse responses, d = {d} (clipped to ±{lim:.2g})", fontsize=10)
    ax_err.set_xlabel("j")
    ax_err.set_ylabel("|g_j - ŵ_j|")
    ax_err.set_title("(b) pointwise error (log)", fontsize=10)
    # One legend below both panels: inside, it would cover the large-init oscillations.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9)
    return FigureOutput(fig, data, {"d": d, "k": k, "horizon": _HORIZON, "steps": 20000})


@figure("F4", title="Balancedness along training", claims=("C8",))
def f4(ctx: FigureContext) -> FigureOutput:
    """‖B - Cᵀ‖/‖B‖ and ‖A - Aᵀ‖/‖A‖ vs GD step for several σ (median over seeds)."""
    atoms, k = (0.9, -0.5), 5
    if ctx.quick:
        scales, d, steps, n_seeds, every = (1e-4, 1e-3, 1e-2, 1e-1), 20, 2000, 2, 25
    else:
        scales, d, steps, n_seeds, every = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 0.3), 40, 20000, 4, 50
    w = teacher_targets(atoms, None, _HORIZON)
    seeds = _seeds(ctx, n_seeds)
    fig, (ax_b, ax_a) = subplots(1, 2, width=5.0, height=3.8)
    data: dict[str, Any] = {}
    for c, s in enumerate(scales):
        res = train_linear(w, d=d, k=k, init_scale=s, seeds=seeds, steps=steps, loss_tol=0.0,
                           record_every=every)
        h = res.history
        t = np.maximum(h.steps, 1)
        tie, asym = np.median(h.B_minus_Ct_rel, axis=1), np.median(h.A_asym_rel, axis=1)
        col = PALETTE[c % len(PALETTE)]
        ax_b.loglog(t, tie, color=col, label=f"σ = {s:g}")
        ax_a.loglog(t, asym, color=col, label=f"σ = {s:g}")
        data["step"] = h.steps
        data[f"B_minus_Ct_rel[sigma={s:g}]"] = tie
        data[f"A_asym_rel[sigma={s:g}]"] = asym
        data[f"loss[sigma={s:g}]"] = np.median(h.loss, axis=1)
    ax_b.set_ylabel("‖B - Cᵀ‖ / ‖B‖")
    ax_a.set_ylabel("‖A - Aᵀ‖ / ‖A‖")
    for ax, tag in ((ax_b, "(a)"), (ax_a, "(b)")):
        ax.set_xlabel("GD step (step 0 drawn at 1)")
        ax.set_title(f"{tag} teacher {_label(atoms)}, d = {d}, k = {k}", fontsize=10)
    ax_b.legend(loc="lower left", fontsize=8)
    return FigureOutput(fig, data, {"d": d, "k": k, "steps": steps, "seeds": seeds,
                                    "record_every": every, "statistic": "median over seeds"})
