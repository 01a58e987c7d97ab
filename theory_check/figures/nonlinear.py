"""Figure F8 (claim C10): tanh RNN students — extrapolation error vs init scale, hidden-state spectra."""

from __future__ import annotations

from typing import Any

import numpy as np

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, atoms_label, num, styled, subplots
from theory_check.figures._sweeps import sweep_records

# Teachers: one long-memory atom, two atoms, and the "remember forever" atom λ̂ = 1 (the limit).
_TEACHERS = ({"atoms": [0.9], "weights": [1.0]}, {"atoms": [0.9, -0.5], "weights": [1.0, 1.0]},
             {"atoms": [1.0], "weights": [1.0]})


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {"d": 10, "k": 8, "n_train": 100, "steps": 400, "lr": 0.1,
                "init_scale": [0.03, 0.3, 3.0], "seed": [0], "teachers": _TEACHERS[::2]}
    return {"d": 40, "k": 8, "n_train": 300, "steps": 2000, "lr": 0.1,
            "init_scale": [0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 4.0], "seed": [0, 1],
            "teachers": _TEACHERS}


def _run(settings: dict[str, Any], ctx: FigureContext) -> list[dict[str, Any]]:
    """Run the grid through the sweep engine (see `_sweeps.sweep_records`)."""
    grid = {"model": "tanh", "d": settings["d"], "k": settings["k"], "n_train": settings["n_train"],
            "steps": settings["steps"], "lr": settings["lr"], "init_scale": settings["init_scale"],
            "seed": [s + ctx.seed for s in settings["seed"]], "horizon": 100}
    return sweep_records({"teacher": list(settings["teachers"]), "grid": grid}, ctx, "F8")


@figure("F8", title="Non-linear (tanh) RNN students: extrapolation and state dimension",
        claims=("C10",))
@styled
def make_f8(ctx: FigureContext) -> FigureOutput:
    """(a) e_q = RMS error at length q / RMS teacher output vs σ, (b) train loss / mean ŷ² vs σ,
    (c) singular values s_i / s_1 of the centred hidden-state matrix, smallest vs largest σ."""
    settings = _settings(ctx.quick)
    # The sweep writes records as tasks finish; sort them so that the data file and the run
    # shown in (c) (first seed) do not depend on which worker finished first.
    recs = sorted(_run(settings, ctx), key=lambda r: (settings["teachers"].index(
        next(t for t in settings["teachers"] if t["atoms"] == r["config"]["teacher"]["atoms"])),
        r["config"]["init_scale"], r["config"]["seed"]))
    fig, (ax_e, ax_l, ax_s) = subplots(1, 3, width=4.2, height=3.6)
    data: dict[str, Any] = {"teacher": [], "init_scale": [], "seed": [], "rel_error_q": [],
                            "train_loss_rel": [], "participation_ratio": [], "status": []}
    for i, teacher in enumerate(settings["teachers"]):
        mine = [r for r in recs if r["config"]["teacher"]["atoms"] == teacher["atoms"]]
        for r in mine:
            m = r["metrics"]
            data["teacher"].append("/".join(f"{a:g}" for a in teacher["atoms"]))
            data["init_scale"].append(r["config"]["init_scale"])
            data["seed"].append(r["seed"])
            data["rel_error_q"].append(m["extrapolation_error_rel"])
            data["train_loss_rel"].append(m["train_loss_rel"])
            data["participation_ratio"].append(m["participation_ratio"])
            data["status"].append(m["status"])
        sig = np.array(sorted({r["config"]["init_scale"] for r in mine}))
        for ax, key in ((ax_e, "extrapolation_error_rel"), (ax_l, "train_loss_rel")):
            vals = [[float(r["metrics"][key]) for r in mine if r["config"]["init_scale"] == s]
                    for s in sig]
            med = np.array([np.median(v) for v in vals])
            lo = med - np.array([min(v) for v in vals])
            hi = np.array([max(v) for v in vals]) - med
            limit = teacher["atoms"] == [1.0]
            ax.errorbar(sig, med, yerr=[lo, hi], color=PALETTE[i], marker=MARKERS[i], capsize=2,
                        linestyle="--" if limit else "-",
                        label=atoms_label(teacher["atoms"]) + (" (limit)" if limit else ""))
    sigma_axis = r"init scale $\sigma$ (entries $\mathcal{N}(0, \sigma^2/d)$)"
    ax_e.set(xscale="log", yscale="log", xlabel=sigma_axis,
             ylabel=r"relative RMS output error $e_q$",
             title=rf"(a) extrapolation, $q = 100 \gg k = {settings['k']}$")
    ax_l.set(xscale="log", yscale="log", xlabel=sigma_axis,
             ylabel=r"train loss / mean $\hat y^2$",
             title=rf"(b) fit at the training length $k = {settings['k']}$")
    ax_e.legend(loc="best")
    # (c) spectra for the first teacher, smallest and largest σ, first seed.
    first = settings["teachers"][0]["atoms"]
    spectra = {}
    for j, s in enumerate((min(settings["init_scale"]), max(settings["init_scale"]))):
        rec = next(r for r in recs if r["config"]["teacher"]["atoms"] == first
                   and r["config"]["init_scale"] == s)
        sv = np.array(rec["metrics"]["hidden_singular_values"], dtype=float)
        rel = sv / sv[0]
        spectra[f"sv_rel_sigma_{s:g}"] = rel
        pr = rec["metrics"]["participation_ratio"]
        ax_s.semilogy(np.arange(1, rel.size + 1), np.maximum(rel, 1e-16), color=PALETTE[j],
                      marker=MARKERS[j], markersize=3,
                      label=r"$\sigma$ = " + num(s) + rf": $\mathrm{{PR}} = {pr:.2f}$")
    ax_s.set(xlabel=r"index $i$", ylabel=r"$s_i / s_1$ of the centred hidden states",
             title=f"(c) hidden-state spectrum, $d = {settings['d']}$")
    # PR is the engine's participation ratio, a scale-free count of the directions used.
    ax_s.legend(loc="center right", title_fontsize=9, title=f"teacher {atoms_label(first)}; "
                r"participation" "\n" r"ratio $\mathrm{PR} = (\Sigma_i\, s_i^2)^2 / \Sigma_i\, s_i^4$")
    data.update(spectra)
    params = {k: v for k, v in settings.items() if k != "teachers"}
    params["teachers"] = [t["atoms"] for t in settings["teachers"]]
    params.update({"input_std": 0.3, "clip": 5.0, "horizon": 100,
                   "error": "RMS output error at length q / RMS teacher output at length q"})
    return FigureOutput(fig, data, params)
