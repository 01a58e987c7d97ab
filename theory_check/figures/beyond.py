"""Figures for the claims beyond the paper: F12 (C12, oscillating memory), F13 (C13, MIMO
identifiability), F14 (C14, the
short-memory contrast)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, atoms_label, num, styled, subplots
from theory_check.train.memory import memory_contrast


def _f14_settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {"d": 10, "ks": [3, 4, 6], "seeds": [1, 2], "steps": 6000, "horizon": 300}
    return {"d": 20, "ks": [3, 4, 5, 6, 8, 10], "seeds": [1, 2, 3, 4], "steps": 60000,
            "horizon": 300}


@figure("F14", title="Short-memory contrast: one long-memory teacher λ̂ = 0.99, small vs large init",
        claims=("C14",))
@styled
def make_f14(ctx: FigureContext) -> FigureOutput:
    """(a) |g_j| of students trained at k = 3 from σ = 1e-3 and 0.5 against ŵ_j = 0.99^j;
    (b) learned decay rate ρ vs k; (c) memory tail T = Σ_{j≥k}|g_j| / Σ_{j≥k} ŵ_j and
    E_q/|ŵ_0| vs k (medians over seeds, min–max bars)."""
    st = _f14_settings(ctx.quick)
    scales = (1e-3, 0.5)
    seeds = [s + ctx.seed for s in st["seeds"]]
    w, rows = memory_contrast(0.99, d=st["d"], ks=st["ks"], init_scales=scales, seeds=seeds,
                              steps=st["steps"], loss_tol=1e-8, horizon=st["horizon"])
    q = st["horizon"]
    fig, (ax_g, ax_r, ax_t) = subplots(1, 3, width=4.6, height=3.8)
    j = np.arange(q)
    k0 = st["ks"][0]
    data: dict[str, Any] = {"teacher_w": w.tolist()}
    for i, sigma in enumerate(scales):
        row = next(r for r in rows if r.k == k0 and r.init_scale == sigma)
        for n, m in enumerate(row.result.students):
            g = m.impulse_response
            ax_g.semilogy(j, np.maximum(np.abs(g), 1e-300), color=PALETTE[i], alpha=0.8,
                          linestyle="--" if i else "-",
                          label=rf"student $\sigma$ = {num(sigma)}" if n == 0 else None)
            data[f"g_k{k0}_sigma{sigma:g}_seed{m.seed}"] = g.tolist()
    ax_g.semilogy(j, w, color="black", linewidth=1.4, linestyle=":",
                  label=r"teacher $\hat w_j = 0.99^j$")
    ax_g.axvspan(0, k0 - 1, color="0.75", label=f"training window $j < k = {k0}$")
    ax_g.set(xlabel=r"lag $j$", ylabel=r"$|g_j|$ (log scale)", ylim=(1e-12, 3),
             title=f"(a) learned impulse response, $k = {k0}$, $d = {st['d']}$")
    # Below the panel: inside, it would cover the steepest student's decay.
    ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.21), ncol=2, fontsize=8)
    for i, sigma in enumerate(scales):
        mine = [r for r in rows if r.init_scale == sigma]
        ks = np.array([r.k for r in mine])
        for ax, attr, lab in ((ax_r, "decay_rate", r"$\rho$"), (ax_t, "memory_tail", "$T$"),
                              (ax_t, "extrapolation_error_rel", r"$E_q/|\hat w_0|$")):
            vals = [np.asarray(getattr(r, attr), dtype=float) for r in mine]
            med = np.array([np.median(v) for v in vals])
            lo = med - np.array([v.min() for v in vals])
            hi = np.array([v.max() for v in vals]) - med
            dashed = attr == "extrapolation_error_rel"
            ax.errorbar(ks + (0.08 * i if ax is ax_t and dashed else 0), med, yerr=[lo, hi],
                        color=PALETTE[i], marker=MARKERS[i + (2 if dashed else 0)], capsize=2,
                        linestyle=":" if dashed else "-", label=rf"{lab}, $\sigma$ = {num(sigma)}")
            data[f"{attr}_sigma{sigma:g}_median"] = med.tolist()
        data[f"ks_sigma{sigma:g}"] = ks.tolist()
        data[f"train_loss_max_sigma{sigma:g}"] = [max(r.train_loss) for r in mine]
    ax_r.axhline(0.99, color="black", linewidth=1.2, label=r"teacher $\hat\lambda = 0.99$")
    ax_r.set(xlabel=r"training length $k$", ylabel=r"decay rate $\rho$ of $g_j$, $j \geq k$",
             title="(b) learned memory decay")
    ax_r.legend(loc="lower right")
    for ax in (ax_r, ax_t):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # k is an integer
    ax_t.axhline(1.0, color="black", linewidth=1.2, label="teacher ($T = 1$)")
    ax_t.set(xlabel=r"training length $k$", yscale="log", ylim=(1e-6, 3),
             ylabel=r"$T$ (solid), $E_q/|\hat w_0|$ (dotted)",
             title=f"(c) memory tail $T$ and error, $q = {q}$")
    ax_t.legend(loc="lower left", fontsize=8)  # lower right would cover the σ = 10⁻³ error
    return FigureOutput(fig, data, {**st, "init_scales": list(scales), "teacher_atom": 0.99,
                                    "loss_tol": 1e-8, "param": "full"})


_F13_TEACHERS = (
    (atoms_label((0.9, -0.5)) + r", $b = (1, 0), (\frac{1}{2}, 1)$",
     [Fraction(9, 10), Fraction(-1, 2)], [[1, 0], [Fraction(1, 2), 1]]),
    (atoms_label((0.9, -0.5, 0.3)) + r", $b = (1, 0), (0, 1), (1, 1)$",
     [Fraction(9, 10), Fraction(-1, 2), Fraction(3, 10)], [[1, 0], [0, 1], [1, 1]]),
    (r"same atoms, $b_i \parallel (1, 0)$ (scalar-like)",
     [Fraction(9, 10), Fraction(-1, 2), Fraction(3, 10)], [[1, 0], [2, 0], [1, 0]]),
)


@figure("F13", title="MIMO teachers: identifiability threshold from block Hankel matrices",
        claims=("C13",))
@styled
def make_f13(ctx: FigureContext) -> FigureOutput:
    """(a) width of the SDP interval of ⟨Y, M_k⟩ over PSD matrix measures with the teacher's
    M_0 … M_{k-1}, vs k, with the exact certified k_min marked; (b) E_q/max|Ŵ_0| of MIMO
    students trained by GD from σ = 1e-3 and σ = 1 vs k (teacher 2)."""
    from theory_check.moments._mimo import matrix_identified, matrix_moment_gap, matrix_moments
    from theory_check.train.mimo import train_mimo

    quick = ctx.quick
    kmax = 7 if quick else 9
    grid_n = 21 if quick else 61
    fig, (ax_g, ax_t) = subplots(1, 2, width=5.6, height=4.4)
    data: dict[str, Any] = {}
    for i, (label, atoms, vectors) in enumerate(_F13_TEACHERS):
        M = matrix_moments(atoms, vectors, kmax + 2)
        k_min = next(matrix_identified(M, n).k for n in range(5) if matrix_identified(M, n).identified)
        Mf = [np.array(x.tolist(), dtype=float) for x in M]
        grid = np.unique(np.concatenate([np.linspace(-1, 1, grid_n), [float(a) for a in atoms]]))
        ks = np.arange(1, kmax + 1)
        gaps = np.array([matrix_moment_gap(Mf, int(k), grid=grid, seed=ctx.seed)["gap"] for k in ks])
        ax_g.semilogy(ks, np.maximum(gaps, 1e-12), color=PALETTE[i], marker=MARKERS[i],
                      label=rf"{label}: $k_{{\min}} = {k_min}$")
        ax_g.axvline(k_min, color=PALETTE[i], linestyle=":", linewidth=1.2)
        data[f"teacher{i}_gap"] = gaps.tolist()
        data[f"teacher{i}_k_min"] = k_min
    ax_g.axhline(1e-4, color="0.4", linestyle="--", linewidth=1,
                 label=f"gap tolerance {num(1e-4)}")
    ax_g.set(xlabel=r"number of matched moments $k$ ($M_0, \ldots, M_{k-1}$)", ylim=(1e-12, 30),
             ylabel=r"SDP width of $\langle Y, M_k\rangle$ (log)",
             title=r"(a) balanced students fitting $L_k = 0$: room left at lag $k$")
    ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)
    _, atoms, vectors = _F13_TEACHERS[1]
    lam = np.array([float(a) for a in atoms])
    Bt = np.array([[float(x) for x in v] for v in vectors])
    W = np.array([Bt.T @ np.diag(lam**j) @ Bt for j in range(100)])
    seeds = [ctx.seed + s for s in range(2 if quick else 4)]
    ks = list(range(2, 8))
    for i, (sigma, lr) in enumerate(((1e-3, 0.01), (1.0, 0.005))):
        med, lo, hi, n_fit = [], [], [], []
        for k in ks:
            res = train_mimo(W, d=6 if quick else 10, k=k, init_scale=sigma, seeds=seeds, lr=lr,
                             steps=6000 if quick else 20000, loss_tol=1e-10, rank_rtol=1e-4)
            # Only students that fit (L_k ≤ 1e-8) say anything about extrapolation.
            e = np.array([s.extrapolation_error_rel for s in res.students
                          if s.status != "diverged" and s.train_loss <= 1e-8])
            n_fit.append(int(e.size))
            med.append(float(np.median(e)) if e.size else np.nan)
            lo.append(float(np.min(e)) if e.size else np.nan)
            hi.append(float(np.max(e)) if e.size else np.nan)
        med_a = np.array(med)
        ax_t.errorbar(ks, med_a, yerr=[med_a - np.array(lo), np.array(hi) - med_a],
                      color=PALETTE[i], marker=MARKERS[i], capsize=2,
                      label=rf"GD from $\sigma$ = {num(sigma)}")
        data[f"train_E_rel_sigma{sigma:g}_median"] = med
        data[f"train_n_fitted_sigma{sigma:g}"] = n_fit
    ax_t.axvline(5, color="0.3", linestyle=":", linewidth=1.2,
                 label=r"balanced threshold $k_{\min} = 5$")
    ax_t.set(xlabel=r"training length $k$", yscale="log",
             ylabel=r"$E_q / \max|\hat W_0|$, $q = 100$",
             title=rf"(b) MIMO GD students, $m = p = 2$ ($L_k \leq {num(1e-8)[1:-1]}$)")
    ax_t.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)
    data["train_ks"] = ks
    return FigureOutput(fig, data, {"quick": quick, "grid_points": grid_n, "kmax": kmax,
                                    "teachers": [t[0] for t in _F13_TEACHERS]})


@figure("F12", title="Oscillating memory: teacher ρ^j cos(jω) and three student families",
        claims=("C12",))
@styled
def make_f12(ctx: FigureContext) -> FigureOutput:
    """(a) g_j of students trained at k = 5 from σ = 1e-3 (full A, balanced diagonal,
    complex diagonal) against ŵ_j = 0.9^j cos(jπ/5); (b) their modes in the complex plane
    (full A: Ho–Kalman atoms; complex diagonal: modes with |c_i b_i| ≥ 1e-3 of the largest,
    marker area ∝ |c_i b_i|) with the teacher pair and the unit circle."""
    from theory_check.train.complex_diag import train_complex_diagonal
    from theory_check.train.linear import train_linear

    rho, omega, k, q = 0.9, np.pi / 5, 5, 100
    j = np.arange(q)
    w = rho**j * np.cos(j * omega)
    seeds = [ctx.seed + s for s in (1, 2, 3)]
    d = 10 if ctx.quick else 20
    full = train_linear(w, d=d, k=k, init_scale=1e-3, seeds=seeds, steps=20000, loss_tol=1e-10)
    bal = train_linear(w, d=d, k=k, init_scale=1e-3, seeds=seeds, steps=3000,
                       param="balanced_diagonal", loss_tol=0.0)
    cd = train_complex_diagonal(w, d=8, k=k, init_scale=1e-3, seeds=seeds, lr=0.06,
                                steps=30000 if ctx.quick else 100000, loss_tol=1e-10)
    fig, (ax_g, ax_z) = subplots(1, 2, width=5.4, height=4.2)
    n = 60
    ax_g.axvspan(0, k - 1, color="0.85", label=f"training window $j < k = {k}$")
    data: dict[str, Any] = {"teacher_w": w[:n].tolist()}
    for i, (key, label, gs, ls) in enumerate((
            ("full_A", "full $A$", [m.impulse_response for m in full.students], "-"),
            ("balanced_diagonal", "balanced diagonal (real spectrum)",
             [m.impulse_response for m in bal.students], "--"),
            ("complex_diagonal", "complex diagonal", [s.impulse_response for s in cd.students],
             "-."))):
        for s_, g in enumerate(gs):
            ax_g.plot(j[:n], g[:n], color=PALETTE[i], linestyle=ls, alpha=0.8,
                      label=label if s_ == 0 else None)
            data[f"{key}_seed{s_}"] = g[:n].tolist()
    ax_g.plot(j[:n], w[:n], color="black", linestyle=":", linewidth=1.6,
              label=r"teacher $\hat w_j = 0.9^j \cos(j\pi/5)$")
    ax_g.set(xlabel=r"lag $j$", ylabel=r"$g_j$", ylim=(-1.2, 1.4),
             title=rf"(a) learned impulse responses, $\sigma$ = {num(1e-3)}, $k = {k}$")
    # Below the panel: inside, any corner covers a student's oscillation.
    ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    t = np.linspace(0, 2 * np.pi, 400)
    ax_z.plot(np.cos(t), np.sin(t), color="0.6", linewidth=1, label="unit circle")
    ax_z.plot(rho * np.cos(t), rho * np.sin(t), color="0.6", linewidth=0.8, linestyle=":",
              label=rf"$|\lambda| = \rho = {rho:g}$")
    lam_full = [complex(z) for m in full.students for z in m.learned_atoms]
    ax_z.scatter([z.real for z in lam_full], [z.imag for z in lam_full], s=60, color=PALETTE[0],
                 marker="o", label="full $A$: learned atoms (Ho–Kalman)", zorder=3)
    zs, sizes = [], []
    for s in cd.students:
        lam = s.theta[0] + 1j * s.theta[1]
        wt = np.abs((s.theta[4] + 1j * s.theta[5]) * (s.theta[2] + 1j * s.theta[3]))
        keep = wt >= 1e-3 * wt.max()
        zs += list(lam[keep])
        sizes += list(200 * wt[keep] / wt.max())
    ax_z.scatter(np.real(zs), np.imag(zs), s=sizes, color=PALETTE[2], marker="s", alpha=0.7,
                 label=r"complex diagonal: modes (area $\propto |c_i b_i|$)", zorder=2)
    ax_z.scatter([rho * np.cos(omega)] * 2, [rho * np.sin(omega), -rho * np.sin(omega)], s=160,
                 facecolors="none", edgecolors="black", linewidths=1.5,
                 label=r"teacher $\rho e^{\pm i\omega}$", zorder=4)
    ax_z.set(xlabel=r"$\mathrm{Re}\,\lambda$", ylabel=r"$\mathrm{Im}\,\lambda$",
             xlim=(-1.15, 1.15), ylim=(-1.15, 1.15), aspect="equal",
             title="(b) learned modes")
    ax_z.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7)
    data["full_atoms_re"] = [z.real for z in lam_full]
    data["full_atoms_im"] = [z.imag for z in lam_full]
    data["complex_diag_modes_re"] = list(np.real(zs))
    data["complex_diag_modes_im"] = list(np.imag(zs))
    data["full_train_loss"] = [m.train_loss for m in full.students]
    data["balanced_train_loss"] = [m.train_loss for m in bal.students]
    data["complex_diag_train_loss"] = [s.train_loss for s in cd.students]
    data["complex_diag_E_rel"] = [s.extrapolation_error_rel for s in cd.students]
    return FigureOutput(fig, data, {"rho": rho, "omega": omega, "k": k, "horizon": q, "d": d,
                                    "complex_diag_modes": 8, "init_scale": 1e-3})
