"""F5 Conservation: max_{s≤t} ‖Q(θ(s)) - Q(θ(0))‖/‖θ(s)‖² against t for the Taylor integrator at
two dps, DOP853 in float64, and GD at several η (the O(η) drift of C11 visible)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, styled, subplots
from theory_check.flow import Trajectory, integrate
from theory_check.model import balanced_teacher, random_student


def _running_max(tr: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    keep = tr.times > 0  # Q(0) - Q(0) = 0 has no place on a log axis
    return tr.times[keep], np.maximum.accumulate(tr.q_drift_rel[keep])


@figure("F5", title="Conservation of Q along flow and GD", claims=("C2", "C11", "N4"))
@styled
def make(ctx: FigureContext) -> FigureOutput:
    params = {"d": 3, "k": 4, "scale": 0.5, "teacher_atoms": (0.9, -0.5), "teacher_weights": (1, 1),
              "T": 2.0 if ctx.quick else 10.0, "dps": (20, 40) if ctx.quick else (30, 50),
              "etas": (0.04, 0.02, 0.01) if ctx.quick else (0.04, 0.02, 0.01, 0.005)}
    teacher = balanced_teacher(list(params["teacher_atoms"]), list(params["teacher_weights"]))
    student = random_student(params["d"], params["scale"], ctx.seed)
    k, T = params["k"], params["T"]
    runs: list[tuple[str, Trajectory]] = []
    for dps in params["dps"]:
        runs.append((f"Taylor, dps {dps}", integrate(student, teacher, k, T, dps=dps)))
    runs.append(("DOP853 (float64)", integrate(student, teacher, k, T, method="dop853", n_out=200)))
    for eta in params["etas"]:
        runs.append((f"GD, η = {eta:g}", integrate(student, teacher, k, T, method="gd", eta=eta, n_out=200)))
    fig, (ax, ax2) = subplots(1, 2, width=5.2, height=4.2)
    data = {}
    colours = [c for c in PALETTE if c != "#F0E442"]  # yellow is too pale for a thin line
    for i, (label, tr) in enumerate(runs):
        t, y = _running_max(tr)
        y = np.maximum(y, 1e-300)
        gd = label.startswith("GD")
        ax.semilogy(t, y, label=label, color=colours[i % len(colours)],
                    linestyle="--" if gd else "-", marker=None if gd else MARKERS[i % len(MARKERS)],
                    markevery=max(1, t.size // 8), markersize=4)
        key = ("dop853" if label.startswith("DOP") else
               f"taylor_dps{label.split()[-1]}" if label.startswith("Taylor") else
               f"gd_eta{label.split('=')[1].strip()}")
        data[f"{key}_t"], data[f"{key}_drift"] = t, y
    ax.set_xlabel("time t")
    ax.set_ylabel(r"$\max_{s\leq t}\ \|Q(\theta(s)) - Q(\theta(0))\|_F \,/\, \|\theta(s)\|^2$")
    ax.set_title(f"(a) drift along the run (d = {params['d']}, k = {k}, σ = {params['scale']})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    # (b) GD drift at T against η: the O(η) law of C11, with a slope-1 guide
    gd = [(float(lbl.split("=")[1]), tr.q_drift[-1]) for lbl, tr in runs if lbl.startswith("GD")]
    etas, drifts = np.array([e for e, _ in gd]), np.array([x for _, x in gd])
    slope = float(np.polyfit(np.log(etas), np.log(drifts), 1)[0])
    ax2.loglog(etas, drifts, marker="o", color=PALETTE[0], label=f"GD, fitted slope {slope:.3f}")
    ax2.loglog(etas, drifts[-1] * etas / etas[-1], linestyle=":", color=PALETTE[7], label="∝ η")
    ax2.set_xticks(etas, [f"{e:g}" for e in etas])
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.set_xlabel("step size η")
    ax2.set_ylabel(r"$\|Q(\theta_T) - Q(\theta_0)\|_F$ at $T$" + f" = {T:g}")
    ax2.set_title("(b) GD drift is O(η) (C11)")
    ax2.legend(loc="upper left")
    data["gd_eta"], data["gd_drift_at_T"] = etas, drifts
    return FigureOutput(fig=fig, data=data, params={**params, "seed": ctx.seed})
