"""F9: the conservation-law census, D - dim Lie{∇g_j} against d(d+1)/2 (full) and d (diagonal)."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter, ScalarFormatter

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, styled, subplots
from theory_check.symbolic import census, n_params


@figure("F9", title="Conservation-law census: D - dim Lie vs (d, k)", claims=("C2", "C3"))
@styled
def make_f9(ctx: FigureContext) -> FigureOutput:
    """Certified counts of independent conservation laws for each (d, k), full and diagonal.

    Markers: one per k (slightly offset in d so that coinciding counts stay visible); hollow
    markers would flag uncertified counts (upper bounds). Lines: d(d+1)/2 (full) or d
    (diagonal), the laws of C2, and D - 1, the count for k = 1 (one field, flow box).
    """
    full_d = (1, 2) if ctx.quick else (1, 2, 3, 4)
    diag_d = (1, 2, 3) if ctx.quick else tuple(range(1, 9))
    ks = tuple(range(1, 5 if ctx.quick else 7))
    cases = [("full", d, k) for d in full_d for k in ks] + \
            [("diagonal", d, k) for d in diag_d for k in ks]
    rows = census(cases, seed=ctx.seed)
    fig, axes = subplots(1, 2, width=4.6, height=4.2)
    for ax, param, ds, tag in ((axes[0], "full", full_d, "a"), (axes[1], "diagonal", diag_d, "b")):
        grid = np.linspace(min(ds), max(ds), 200)
        law = grid * (grid + 1) / 2 if param == "full" else grid
        dim = grid**2 + 2 * grid if param == "full" else 3 * grid
        # Distinct styles: the merged legend below names both law curves side by side.
        ax.plot(grid, law, color="black", ls="--" if param == "full" else "-.", lw=1.2,
                label=(r"$d(d+1)/2$ (entries of $Q$), full" if param == "full"
                       else r"$d$ ($b_i^2 - c_i^2$), diagonal"))
        ax.plot(grid, dim - 1, color="0.55", ls=":", lw=1.4, label=r"$D - 1$ (one field, $k = 1$)")
        for i, k in enumerate(ks):
            sel = [r for r in rows if r.param == param and r.k == k]
            # k = 1 sits on its curve; k ≥ 2 coincide, so they are spread slightly in d.
            shift = 0.0 if k == 1 else 0.07 * (i - 1 - (len(ks) - 2) / 2)
            x = np.array([r.d for r in sel]) + shift
            y = np.array([r.n_laws for r in sel])
            cert = np.array([r.certified for r in sel])
            col, mk = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
            ax.scatter(x[cert], y[cert], color=col, marker=mk, s=28, zorder=3, label=f"$k = {k}$")
            if (~cert).any():
                ax.scatter(x[~cert], y[~cert], facecolors="none", edgecolors=col, marker=mk, s=28,
                           zorder=3)
        ax.set_yscale("log")
        ax.set_yticks([t for t in (1, 2, 3, 5, 10, 20, 50) if t <= 1.3 * max(dim)])
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(list(ds))
        ax.set_xlabel(r"state dimension $d$")
        ax.set_title(f"({tag}) {param} $A$: " + ("$D = d^2 + 2d$" if param == "full" else "$D = 3d$"))
    axes[0].set_ylabel(r"independent laws $D - \dim\,\mathrm{Lie}\{\nabla g_j\}$")
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    # Curves first (both law curves side by side), then one marker per k.
    order = sorted(range(len(labels)), key=lambda i: not isinstance(handles[i], Line2D))
    fig.legend([handles[i] for i in order], [labels[i] for i in order],
               loc="outside lower center", ncol=5)
    n_ok = sum(r.agrees for r in rows)
    fig.suptitle(f"Conservation-law census (exact ranks; {n_ok}/{len(rows)} certified = prediction)",
                 fontsize=11)
    data = {
        "param": [r.param for r in rows], "d": [r.d for r in rows], "k": [r.k for r in rows],
        "D": [n_params(r.param, r.d) for r in rows], "n_laws": [r.n_laws for r in rows],
        "lower_bound": [r.lower for r in rows], "lie_dim": [r.lie_dim for r in rows],
        "n_quadratic": [r.n_quadratic for r in rows], "predicted": [r.predicted for r in rows],
        "certified": [r.certified for r in rows],
    }
    return FigureOutput(fig, data, {"full_d": full_d, "diagonal_d": diag_d, "k": ks,
                                    "backend": "python-flint exact ranks"})
