"""F6 (identifiability phase diagram) and F7 (exact worst-case extrapolation vs ε)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from theory_check.figures import FigureContext, FigureOutput, figure
from theory_check.figures._style import MARKERS, PALETTE, styled, subplots
from theory_check.moments import identify, worst_case_extrapolation


def _spread_atoms(d: int, boundary: bool) -> list[Fraction]:
    """d distinct rational atoms spread over (-1, 1); with `boundary` the largest is 1."""
    if boundary:
        inner = [Fraction(2 * i + 1 - d, d + 1) for i in range(d - 1)] if d > 1 else []
        return [*inner, Fraction(1)]
    return [Fraction(2 * i + 1 - d, d + 1) for i in range(d)]


def _width_grid(dims: range, ks: range, boundary: bool) -> np.ndarray:
    """log10 of the exact width of the m_k interval (−inf where identified)."""
    out = np.full((len(ks), len(dims)), -np.inf)
    for jd, d in enumerate(dims):
        atoms = _spread_atoms(d, boundary)
        weights = [Fraction(1, d)] * d
        for ik, k in enumerate(ks):
            w = identify(atoms, weights, k, "unit").width
            out[ik, jd] = math.log10(w) if w > 0 else -np.inf
    return out


@figure("F6", title="Identifiability phase diagram over (d̂, k)", claims=("C6", "N1"))
@styled
def make_f6(ctx: FigureContext) -> FigureOutput:
    """Exact (rational) width of the feasible m_k interval on [-1, 1] for teachers with d̂
    spread interior atoms (left) and with one atom at λ̂ = 1 (right); white = identified."""
    dims = range(1, 5 if ctx.quick else 8)
    ks = range(1, 11 if ctx.quick else 17)
    fig, axes = subplots(1, 2, width=4.8, height=4.0)
    data: dict[str, list] = {}
    grids = [_width_grid(dims, ks, b) for b in (False, True)]
    finite = np.concatenate([g[np.isfinite(g)] for g in grids])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 0.0)
    for ax, grid, boundary in zip(axes, grids, (False, True), strict=True):
        shown = np.ma.masked_invalid(np.where(np.isfinite(grid), grid, np.nan))
        im = ax.imshow(shown, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax,
                       extent=(dims.start - 0.5, dims.stop - 0.5, ks.start - 0.5, ks.stop - 0.5))
        d_line = np.array([dims.start - 0.5, dims.stop - 0.5])
        ax.plot(d_line, 2 * d_line + 1, color=PALETTE[1], lw=2, label="k = 2d̂ + 1")
        if boundary:
            ax.plot(d_line, 2 * d_line, color=PALETTE[4], lw=2, ls="--", label="k = 2d̂ (index d̂ − ½)")
        ax.set_xlim(dims.start - 0.5, dims.stop - 0.5)
        ax.set_ylim(ks.start - 0.5, ks.stop - 0.5)
        ax.set_xlabel("teacher atoms d̂")
        ax.set_ylabel("training length k")
        ax.set_title("one atom at λ̂ = 1" if boundary else "interior atoms")
        ax.set_xticks(list(dims))
        ax.legend(loc="upper left")
        tag = "boundary" if boundary else "interior"
        for jd, d in enumerate(dims):
            data[f"{tag}_dhat{d}_log10_width"] = [float(v) if np.isfinite(v) else "identified"
                                                  for v in grid[:, jd]]
    fig.colorbar(im, ax=axes, label="log10 width of m_k interval (white: identified)")
    data["k"] = list(ks)
    return FigureOutput(fig, data, {"support": "[-1, 1]", "weights": "1/d̂ each",
                                    "certificate": "exact rational"})


@figure("F7", title="Exact worst-case extrapolation error vs ε", claims=("C7",))
@styled
def make_f7(ctx: FigureContext) -> FigureOutput:
    """max_{j≤q} |g_j − ŵ_j| over balanced students with spectrum in [-1, 1] and L_k ≤ ε
    (certified l2 KKT path with exact certificates, the SDP sandwich where it does not
    certify), k = 2d̂ + 1, with fitted slopes and the Wu–Yang-route rate.
    Right: the constant vs the horizon q (box δ, certified LP path with exact certificates):
    every interior teacher reaches a plateau, λ̂ = 9/10 only at q ≈ 100; λ̂ = 1 grows without bound."""
    eps = np.logspace(-2, -6, 3 if ctx.quick else 6)
    teachers = {1: ["1/2"], 2: ["-1/2", "1/2"], 3: ["-3/5", "0", "3/5"]}
    fig, (ax, ax2) = subplots(1, 2, width=5.5, height=4.2)
    data: dict[str, list] = {"eps": eps.tolist()}
    for i, (d, atoms) in enumerate(teachers.items()):
        k = 2 * d + 1
        q = k + (4 if ctx.quick else 10)
        runs = [worst_case_extrapolation(atoms, [f"1/{d}"] * d, k, q, float(e), "l2") for e in eps]
        vals = np.array([r.value for r in runs])
        data[f"dhat{d}_certified"] = [r.status == "certified" for r in runs]
        slope, _ = np.polyfit(np.log(eps), np.log(vals), 1)
        ax.loglog(eps, vals, marker=MARKERS[i], color=PALETTE[i],
                  label=f"d̂ = {d} (k = {k}, q = {q}): slope {slope:.2f}")
        wy = 1 / (4 * d)  # Wu–Yang route: W1 ≲ δ^{1/(2d̂)}, δ = √ε
        ax.loglog(eps, vals[0] * (eps / eps[0]) ** wy, ls=":", color=PALETTE[i],
                  label=rf"Wu–Yang rate $\varepsilon^{{1/{4 * d}}}$")
        data[f"dhat{d}_worst_case"] = vals.tolist()
        data[f"dhat{d}_slope"] = [float(slope)]
    ax.loglog(eps, 0.5 * np.sqrt(eps), color=PALETTE[7], ls="--", label=r"$\varepsilon^{1/2}$ (α = 1 in δ)")
    ax.set_xlabel("training loss bound ε  (L_k ≤ ε)")
    ax.set_ylabel(r"worst case  $\max_{j\leq q} |g_j - \hat w_j|$")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("rate in ε (k = 2d̂ + 1)")

    # Right: the worst case at fixed δ as a function of the horizon q. One program of degree
    # q_max gives the exact interval of every m_j, j ≤ q_max (projection of the Hausdorff cone),
    # so the curve is the running maximum of the per-j worst cases.
    delta = 1e-4
    # q_max must pass the plateau of the near-boundary interior teacher λ̂ = 9/10, reached only
    # at q ≈ 100 (≈ 347·δ; at q = 40 it is still 320·δ and rising): the boundary teacher is
    # drawn to q_boundary (its growth is linear; its intervals need the slower SDP fallback).
    q_max = 16 if ctx.quick else 120
    q_boundary = 16 if ctx.quick else 40
    cases = [("λ̂ = ±1/2", ["-1/2", "1/2"]), ("λ̂ = 2/5, 1/2 (close)", ["2/5", "1/2"]),
             ("λ̂ = 9/10", ["9/10"]), ("λ̂ = 1 (boundary)", ["1"])]
    for i, (label, atoms) in enumerate(cases):
        d = len(atoms)
        k = 2 * d + 1
        qm = q_boundary if atoms == ["1"] else q_max
        wc = worst_case_extrapolation(atoms, [f"1/{d}"] * d, k, qm, delta, "box")
        # Only certified intervals are drawn: an inner/outer disagreement is not a data point.
        ok = wc.certified_j if wc.certified_j is not None else np.ones(qm + 1, dtype=bool)
        horizon = np.maximum.accumulate(np.where(ok, wc.per_j, 0.0))
        qs = np.arange(qm + 1)
        keep = ok & (qs >= k)
        n_bad = int(np.sum(~ok[k:]))
        ax2.semilogy(qs[keep], horizon[keep] / delta, marker=MARKERS[i], ms=3, color=PALETTE[i],
                     label=f"{label}, k = {k}" + (f" ({n_bad} j inconclusive, omitted)" if n_bad else ""))
        data[f"horizon_{i}_constant"] = (horizon / delta).tolist()
        data[f"horizon_{i}_certified"] = ok.tolist()
        data[f"horizon_{i}_atoms"] = atoms
    ax2.set_xlabel("horizon q")
    ax2.set_ylabel(r"$\max_{j\leq q} |g_j - \hat w_j| \;/\; \delta$")
    ax2.set_title(f"constant vs horizon (box, δ = {delta:g})")
    # between the λ̂ = 9/10 plateau (top) and the close-atoms plateau (middle): covers no point
    ax2.legend(loc="center right", bbox_to_anchor=(1.0, 0.74), fontsize=7)
    data["horizon_delta"] = [delta]
    return FigureOutput(fig, data, {"norm": "l2 (left), box (right)", "support": "[-1, 1]",
                                    "solver": "l2 KKT path, exact python-flint certificates, SDP "
                                    "(Clarabel) fallback per j (left); box KKT path, exact "
                                    "certificates, grid-LP and SDP fallbacks per j (right)",
                                    "q_max": q_max, "q_boundary": q_boundary})
