"""`theory-check figures`: draw the proof figures into a directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from theory_check.cli import int_type

#: The registered figures and their titles, repeated here so that `figures --help` imports no
#: figure module (matplotlib); tests/test_cli.py checks them against the registry.
FIGURES: dict[str, str] = {
    "F1": 'Implicit extrapolation vs init scale',
    "F2": 'Learned state space: atoms, weights and Hankel singular values',
    "F3": 'Impulse responses: teacher vs small- and large-init students',
    "F4": 'Balancedness along training',
    "F5": 'Conservation of Q along flow and GD',
    "F6": 'Identifiability phase diagram over (d̂, k)',
    "F7": 'Exact worst-case extrapolation error vs ε',
    "F8": 'Non-linear (tanh) RNN students: extrapolation and state dimension',
    "F9": 'Conservation-law census: D - dim Lie vs (d, k)',
    "F12": 'Oscillating memory: teacher ρ^j cos(jω) and three student families',
    "F13": 'MIMO teachers: identifiability threshold from block Hankel matrices',
    "F14": 'Short-memory contrast: one long-memory teacher λ̂ = 0.99, small vs large init',
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "figures", help="draw the proof figures (PNG, PDF, data, provenance)",
        description="Draw the proof figures into --out: for each, FIG.png, FIG.pdf, its data\n"
                    "(FIG.csv, FIG.data.json) and FIG.provenance.json (versions, seed, sizes).",
        epilog="Figures:\n" + "\n".join(f"  {k}  {v}" for k, v in FIGURES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("proofs/figures"),
                   help="output directory (default proofs/figures)")
    p.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    p.add_argument("--only", default="", metavar="F1,F5",
                   help="comma-separated figure ids (default: all; see below)")
    p.add_argument("--seed", type=int_type("--seed", minimum=0), default=0,
                   help="seed of every random draw (default 0)")
    p.set_defaults(func=cmd_figures)


def cmd_figures(args: argparse.Namespace) -> int:
    from theory_check import figures
    from theory_check.cli._progress import count, progress

    ids = [s for s in args.only.split(",") if s.strip()]
    selected = [figures.get(i).id for i in ids] if ids else [f.id for f in figures.all_figures()]
    if not selected:
        raise ValueError("no figures are registered yet")

    with progress("figures", len(selected), show=count("figures")) as bar:
        def done(r: figures.RenderedFigure) -> None:
            bar.advance(note=f"{r.id} done")
            print(f"{r.id}: {len(r.files)} files in {r.seconds:.1f} s -> {r.files[0].parent}",
                  flush=True)

        figures.render(selected, out=args.out, quick=args.quick, seed=args.seed, on_done=done)
    return 0
