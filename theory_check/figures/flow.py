"""F5 Conservation: ‖Q(θ(t)) - Q(θ(0))‖_F against t for the Taylor integrator at two dps and
DOP853 in float64 (each at its working precision), for GD at several η (the drift accrues while
the loss falls), and GD's drift at T against η (the O(η) law of C11)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, atoms_label, num, styled, subplots
from theory_check.flow import Trajectory, integrate
from theory_check.model import balanced_teacher, random_student

_DRIFT = r"$\|Q(\theta(t)) - Q(\theta(0))\|_F$"


def _positive(tr: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """Times t > 0 and the drift there; an exactly conserved sample (drift 0) has no place on a
    log axis and is dropped (the data file keeps every sample)."""
    keep = (tr.times > 0) & (tr.q_drift > 0)
    return tr.times[keep], tr.q_drift[keep]


@figure("F5", title="Conservation of Q along flow and GD", claims=("C2", "C11", "N4"))
@styled
def make(ctx: FigureContext) -> FigureOutput:
    """(a) drift of Q along the exact flow, Taylor at two dps and DOP853, each beside its machine
    epsilon; (b) drift along GD for each η (log time: it accrues in the fast phase of training);
    (c) GD's drift at T against η with a slope-1 guide (C11: halving η halves the drift)."""
    params = {"d": 3, "k": 4, "scale": 0.5, "teacher_atoms": (0.9, -0.5), "teacher_weights": (1, 1),
              "T": 2.0 if ctx.quick else 10.0, "dps": (20, 40) if ctx.quick else (30, 50),
              "etas": (0.04, 0.02, 0.01) if ctx.quick else (0.04, 0.02, 0.01, 0.005)}
    teacher = balanced_teacher(list(params["teacher_atoms"]), list(params["teacher_weights"]))
    student = random_student(params["d"], params["scale"], ctx.seed)
    k, T = params["k"], params["T"]
    exact: list[tuple[str, str, float, Trajectory]] = []
    for dps in params["dps"]:
        exact.append((f"Taylor, dps {dps}", f"taylor_dps{dps}", 10.0**-dps,
                      integrate(student, teacher, k, T, dps=dps)))
    exact.append(("DOP853 (float64)", "dop853", float(np.finfo(float).eps),
                  integrate(student, teacher, k, T, method="dop853", n_out=200)))
    # GD records every step (n_out = steps), so the fast early phase is resolved on a log axis.
    gd = [(eta, integrate(student, teacher, k, T, method="gd", eta=eta, n_out=round(T / eta)))
          for eta in params["etas"]]
    fig, (ax, ax_gd, ax_eta) = subplots(1, 3, width=4.3, height=3.9)
    data: dict[str, np.ndarray] = {}

    floor = np.inf
    for i, (label, key, unit, tr) in enumerate(exact):
        t, y = _positive(tr)
        col = PALETTE[i]
        ax.loglog(t, y, color=col, marker=MARKERS[i], markevery=max(1, t.size // 10), ms=4,
                  label=label)
        ax.axhline(unit, color=col, ls=":", lw=1.2)
        floor = min(floor, float(y.min()), unit)
        data[f"{key}_t"], data[f"{key}_drift"] = tr.times, tr.q_drift
    ax.plot([], [], color="0.4", ls=":", lw=1.2,
            label=r"machine epsilon: $10^{-\mathrm{dps}}$, $2^{-52}$")
    # Room below the lowest curve for the legend, so that it covers no data.
    ax.set_ylim(floor * 1e-14, 1e-8)
    ax.set_xlabel(r"time $t$")
    ax.set_ylabel(_DRIFT)
    ax.set_title("(a) gradient flow, at working precision")
    ax.legend(loc="lower left", ncol=2, fontsize=8)

    for i, (eta, tr) in enumerate(gd):
        t, y = _positive(tr)
        ax_gd.loglog(t, y, color=PALETTE[i], marker=MARKERS[i], markevery=(i * 0.02, 0.1), ms=4,
                     label=rf"$\eta$ = {num(eta)}")
        data[f"gd_eta{eta:g}_t"], data[f"gd_eta{eta:g}_drift"] = tr.times, tr.q_drift
    ax_gd.set_xlabel(r"time $t = \eta \times$ steps")
    ax_gd.set_ylabel(_DRIFT)
    ax_gd.set_title(r"(b) gradient descent, step $\eta$")
    ax_gd.legend(loc="lower right")

    etas = np.array([eta for eta, _ in gd])
    drifts = np.array([tr.q_drift[-1] for _, tr in gd])
    slope = float(np.polyfit(np.log(etas), np.log(drifts), 1)[0])
    ax_eta.loglog(etas, drifts, marker="o", color=PALETTE[0], label=f"GD, fitted slope {slope:.2f}")
    ax_eta.loglog(etas, drifts[-1] * etas / etas[-1], ls=":", color=PALETTE[7],
                  label=r"$\propto \eta$")
    ax_eta.set_xticks(etas, [num(e) for e in etas])
    ax_eta.xaxis.set_minor_formatter(NullFormatter())
    ax_eta.set_xlabel(r"step size $\eta$")
    ax_eta.set_ylabel(rf"$\|Q(\theta(T)) - Q(\theta(0))\|_F$ at $T = {T:g}$")
    ax_eta.set_title(r"(c) GD drift at $T$ is $O(\eta)$ (C11)")
    ax_eta.legend(loc="upper left")
    fig.suptitle(rf"Conservation of $Q = AA^\top - A^\top A + BB^\top - C^\top C$: "
                 rf"$d = {params['d']}$, $k = {k}$, init scale $\sigma = {params['scale']:g}$, "
                 f"teacher {atoms_label(params['teacher_atoms'])}")
    data["gd_eta"], data["gd_drift_at_T"] = etas, drifts
    return FigureOutput(fig=fig, data=data, params={**params, "seed": ctx.seed,
                                                    "gd_fitted_slope": slope})

