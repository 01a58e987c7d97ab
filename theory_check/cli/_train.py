"""`theory-check train`: train students (linear or tanh) on a balanced teacher, print their metrics."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from theory_check.cli import (
    UsageError,
    add_json_option,
    check_json_target,
    float_type,
    int_type,
    parse_teacher,
    write_json,
)

_TABLE_KEYS = ("seed", "status", "train_loss", "extrapolation_error_rel", "horizon", "B_minus_Ct_rel",
               "A_asym_rel", "effective_dim", "steps")

#: Defaults that depend on the model. The tanh ones are those of claim C10 (about 5 s for one
#: student on one core); C10 --thorough uses d=40, n_train=1000, lr=0.03, steps=7500 (~8 min).
DEFAULTS: dict[str, dict[str, Any]] = {
    "linear": {"d": 40, "steps": 20000, "lr": None},
    "tanh": {"d": 20, "steps": 1000, "lr": 0.1, "n_train": 150},
}

_EPILOG = """\
Status of each student:
  converged  the training loss reached --loss-tol (default 1e-12) and training stopped;
  max_steps  --steps GD steps were taken without reaching --loss-tol: the metrics are those
             of the last step (the loss column says how far it got); raise --steps or --lr.
             tanh students do not reach 1e-12: for them --steps is a fixed budget and
             max_steps the normal end; judge them by train_loss and the extrapolation error;
  diverged   the loss became non-finite or exploded (linear: 1e8 × max(its start, Σŵ², 1);
             tanh: above 1e12): lower --lr (or --init-scale); metrics after
             divergence are empty (linear) or "nan" (tanh).

Columns: train_loss is L_k = Σ_{j<k} (g_j - ŵ_j)² (linear; tanh: mean squared error on the
training sequences); extrapolation_error_rel is E_q/|ŵ_0| with E_q = max_{j<q} |g_j - ŵ_j|
(linear; ŵ_0 = Σ β̂ is the teacher's first Markov parameter), or for tanh the RMS output error
at length q divided by the RMS teacher output at length q; horizon is q; B_minus_Ct_rel =
‖B - Cᵀ‖/‖B‖ and A_asym_rel = ‖A - Aᵀ‖/‖A‖ measure unbalancedness; effective_dim is the
numerical rank of the Hankel matrix of g_0..g_{q-1} (tanh: of the hidden states).

Time: the linear default (d=40, 20000 steps, k=5) takes a few seconds per student; the tanh
default (d=20, n_train=150, 1000 steps) about 5 s; cost grows like steps · n_train · d² for tanh.
JSON: one object per student; complex numbers (learned atoms and weights) are [re, im] pairs,
always, also when the imaginary part is 0; non-finite numbers are the strings "nan", "inf"."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train students by GD and print their metrics",
                       description="Train students on a balanced teacher A = diag(λ̂), B = Cᵀ = √β̂ "
                                   "and print one row (or JSON object) per student.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teacher-atoms", required=True, metavar="0.9,-0.5",
                   help="teacher atoms λ̂, distinct, in [-1, 1]")
    p.add_argument("--teacher-weights", default=None, metavar="1,1",
                   help="teacher weights β̂ > 0 (default: all 1)")
    p.add_argument("--d", type=int_type("--d", minimum=1), default=None,
                   help="student state dimension (default: linear 40, tanh 20)")
    p.add_argument("--k", type=int_type("--k", minimum=1), default=5, help="training length k (default 5)")
    p.add_argument("--init-scale", type=float_type("--init-scale", minimum=0.0), default=1e-3,
                   help="init scale σ: entries N(0, σ²/d) (default 1e-3)")
    p.add_argument("--lr", type=float_type("--lr", minimum=0.0, strict=True), default=None,
                   help="step size η (default: linear min(1e-2, 0.5/λ) at the teacher; tanh 0.1)")
    p.add_argument("--steps", type=int_type("--steps", minimum=0), default=None,
                   help="maximum GD steps (default: linear 20000, tanh 1000)")
    p.add_argument("--param", choices=("full", "diagonal", "balanced"), default="full",
                   help="linear parameterization (default full)")
    p.add_argument("--model", choices=("linear", "tanh"), default="linear")
    p.add_argument("--seeds", type=int_type("--seeds", minimum=1), default=1,
                   help="number of students, seeds 0..N-1 (default 1)")
    p.add_argument("--horizon", type=int_type("--horizon", minimum=1), default=None,
                   help="extrapolation horizon q (default max(10k, 100))")
    p.add_argument("--loss-tol", type=float_type("--loss-tol", minimum=0.0), default=1e-12,
                   help="a student stops (converged) at this training loss (default 1e-12)")
    g = p.add_argument_group("tanh model")
    g.add_argument("--n-train", type=int_type("--n-train", minimum=1), default=None,
                   help="training sequences (default 150)")
    g.add_argument("--input-std", type=float_type("--input-std", minimum=0.0, strict=True), default=0.3,
                   help="input standard deviation (default 0.3)")
    g.add_argument("--clip", type=float_type("--clip", minimum=0.0), default=5.0,
                   help="gradient-norm clipping, 0 = off (default 5)")
    g.add_argument("--bias", action="store_true", help="train biases b, c too")
    add_json_option(p, "one object per student")
    p.set_defaults(func=cmd_train)


def _resolved(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name, None)
    return DEFAULTS[args.model].get(name) if value is None else value


def train_students(args: argparse.Namespace, progress=None) -> list[dict[str, Any]]:
    """Run the trainer the arguments name; return one JSON object per student.

    `progress(step, n_active)` is passed to the trainer (about 100 calls per run)."""
    atoms, weights = parse_teacher(args.teacher_atoms, args.teacher_weights)
    d = _resolved(args, "d")
    if d < len(atoms):
        raise UsageError(f"--d must be >= the teacher dimension {len(atoms)} (overparameterized); "
                         f"got {d}")
    if args.model == "tanh" and args.param != "full":
        raise UsageError("--param applies to the linear model only (tanh students are full)")
    if args.model == "linear" and (args.n_train is not None or args.bias):
        raise UsageError("--n-train and --bias apply to --model tanh only")
    from theory_check.model import balanced_teacher

    teacher = balanced_teacher(atoms, weights)
    common: dict[str, Any] = {"d": d, "k": args.k, "init_scale": args.init_scale,
                              "seeds": list(range(args.seeds)), "horizon": args.horizon,
                              "loss_tol": args.loss_tol}
    extra = {n: _resolved(args, n) for n in ("lr", "steps") if _resolved(args, n) is not None}
    if args.model == "tanh":
        from theory_check.train.tanh import train_tanh

        result = train_tanh(teacher, **common, **extra, n_train=_resolved(args, "n_train"),
                            input_std=args.input_std, clip=args.clip, bias=args.bias,
                            progress=progress)
    else:
        from theory_check.train.linear import train_linear

        result = train_linear(teacher, **common, **extra, param=args.param, progress=progress)
    return [s.to_json() for s in result.students]


def cmd_train(args: argparse.Namespace) -> int:
    check_json_target(args.json)
    from theory_check.cli._progress import progress, steps

    with progress(f"train ({args.model})", max(_resolved(args, "steps"), 1), show=steps) as bar:
        def tick(step: int, n_active: int) -> None:
            bar.update(step, note=f"{n_active} of {args.seeds} students active")

        rows = train_students(args, tick)
    if args.json is not None:
        write_json(args.json, rows)
    if args.json == "-":
        return 0
    from rich.console import Console
    from rich.table import Table

    from theory_check.cli._format import fmt

    table = Table(title=f"theory-check train ({args.model}, d={_resolved(args, 'd')}, k={args.k}, "
                  f"σ={args.init_scale:g})",
                  caption="extrapolation_error_rel = E_q/|ŵ_0| (tanh: RMS error / RMS teacher output); "
                          "statuses: train --help")
    for key in _TABLE_KEYS:
        table.add_column(key)
    for r in rows:
        table.add_row(*(fmt(r.get(key)) for key in _TABLE_KEYS))
    Console(width=max(Console().width, 140)).print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())), file=sys.stderr)
    return 0
