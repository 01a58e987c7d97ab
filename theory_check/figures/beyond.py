"""Figures for the claims beyond the paper: F14 (C14, the short-memory contrast)."""

from __future__ import annotations

from typing import Any

import numpy as np

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, styled, subplots
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
                          label=f"σ = {sigma:g} student" if n == 0 else None)
            data[f"g_k{k0}_sigma{sigma:g}_seed{m.seed}"] = g.tolist()
    ax_g.semilogy(j, w, color="black", linewidth=1.4, linestyle=":", label="teacher ŵ_j = 0.99^j")
    ax_g.axvspan(0, k0 - 1, color="0.75", label=f"training window j < k = {k0}")
    ax_g.set(xlabel="lag j", ylabel="|g_j| (log scale)", ylim=(1e-12, 3),
             title=f"(a) learned impulse response, k = {k0}, d = {st['d']}")
    ax_g.legend(loc="lower left")
    for i, sigma in enumerate(scales):
        mine = [r for r in rows if r.init_scale == sigma]
        ks = np.array([r.k for r in mine])
        for ax, attr, lab in ((ax_r, "decay_rate", "ρ"), (ax_t, "memory_tail", "T"),
                              (ax_t, "extrapolation_error_rel", "E_q/|ŵ_0|")):
            vals = [np.asarray(getattr(r, attr), dtype=float) for r in mine]
            med = np.array([np.median(v) for v in vals])
            lo = med - np.array([v.min() for v in vals])
            hi = np.array([v.max() for v in vals]) - med
            dashed = attr == "extrapolation_error_rel"
            ax.errorbar(ks + (0.08 * i if ax is ax_t and dashed else 0), med, yerr=[lo, hi],
                        color=PALETTE[i], marker=MARKERS[i + (2 if dashed else 0)], capsize=2,
                        linestyle=":" if dashed else "-", label=f"{lab}, σ = {sigma:g}")
            data[f"{attr}_sigma{sigma:g}_median"] = med.tolist()
        data[f"ks_sigma{sigma:g}"] = ks.tolist()
        data[f"train_loss_max_sigma{sigma:g}"] = [max(r.train_loss) for r in mine]
    ax_r.axhline(0.99, color="black", linewidth=1.2, label="teacher λ̂ = 0.99")
    ax_r.set(xlabel="training length k", ylabel="decay rate ρ of g_j, j ≥ k",
             title="(b) learned memory decay")
    ax_r.legend(loc="lower right")
    ax_t.axhline(1.0, color="black", linewidth=1.2, label="teacher (T = 1)")
    ax_t.set(xlabel="training length k", yscale="log", ylim=(1e-6, 3),
             ylabel="T (solid), E_q/|ŵ_0| (dotted)",
             title=f"(c) memory tail T and error, q = {q}")
    ax_t.legend(loc="lower right", fontsize=8)
    return FigureOutput(fig, data, {**st, "init_scales": list(scales), "teacher_atom": 0.99,
                                    "loss_tol": 1e-8, "param": "full"})
