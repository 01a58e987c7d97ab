"""`theory-check train`: train students (linear or tanh) on a balanced teacher, print their metrics."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from theory_check._validate import check_int
from theory_check.cli import UsageError, parse_floats

_TABLE_KEYS = ("seed", "status", "train_loss", "extrapolation_error_rel", "horizon", "B_minus_Ct_rel",
               "A_asym_rel", "effective_dim", "steps")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train students by GD and print their metrics",
                       description="Train students on a balanced teacher A = diag(λ̂), B = Cᵀ = √β̂ "
                                   "and print one object per student.")
    p.add_argument("--teacher-atoms", required=True, metavar="0.9,-0.5", help="teacher atoms λ̂")
    p.add_argument("--teacher-weights", default=None, metavar="1,1",
                   help="teacher weights β̂ > 0 (default: all 1)")
    p.add_argument("--d", type=int, default=40, help="student state dimension (default 40)")
    p.add_argument("--k", type=int, default=5, help="training length k (default 5)")
    p.add_argument("--init-scale", type=float, default=1e-3,
                   help="init scale σ: entries N(0, σ²/d) (default 1e-3)")
    p.add_argument("--lr", type=float, default=None,
                   help="step size η (default: linear min(1e-2, 0.5/λ) at the teacher; tanh 0.03)")
    p.add_argument("--steps", type=int, default=None, help="GD steps (default: linear 20000, tanh 7500)")
    p.add_argument("--param", choices=("full", "diagonal", "balanced"), default="full",
                   help="linear parameterization (default full)")
    p.add_argument("--model", choices=("linear", "tanh"), default="linear")
    p.add_argument("--seeds", type=int, default=1, help="number of students, seeds 0..N-1 (default 1)")
    p.add_argument("--horizon", type=int, default=None,
                   help="extrapolation horizon q (default max(10k, 100))")
    p.add_argument("--loss-tol", type=float, default=1e-12, help="stop a student at this loss")
    g = p.add_argument_group("tanh model")
    g.add_argument("--n-train", type=int, default=1000, help="training sequences (default 1000)")
    g.add_argument("--input-std", type=float, default=0.3, help="input standard deviation (default 0.3)")
    g.add_argument("--clip", type=float, default=5.0, help="gradient-norm clipping, 0 = off (default 5)")
    g.add_argument("--bias", action="store_true", help="train biases b, c too")
    p.add_argument("--json", action="store_true", help="print the JSON list instead of a table")
    p.set_defaults(func=cmd_train)


def train_students(args: argparse.Namespace, progress=None) -> list[dict[str, Any]]:
    """Run the trainer the arguments name; return one JSON object per student.

    `progress(step, n_active)` is passed to the trainer (about 100 calls per run)."""
    from theory_check.model import balanced_teacher

    atoms = parse_floats("--teacher-atoms", args.teacher_atoms)
    weights = None if args.teacher_weights is None else parse_floats("--teacher-weights",
                                                                      args.teacher_weights)
    teacher = balanced_teacher(atoms, weights)
    if args.d < len(atoms):
        raise ValueError(f"--d must be >= the teacher dimension {len(atoms)} (overparameterized); "
                         f"got {args.d}")
    seeds = list(range(check_int("--seeds", args.seeds, minimum=1)))
    common: dict[str, Any] = {"d": args.d, "k": args.k, "init_scale": args.init_scale,
                              "seeds": seeds, "horizon": args.horizon, "loss_tol": args.loss_tol}
    extra = {n: getattr(args, n) for n in ("lr", "steps") if getattr(args, n) is not None}
    if args.model == "tanh":
        from theory_check.train.tanh import train_tanh

        if args.param != "full":
            raise UsageError("--param applies to the linear model only (tanh students are full)")
        result = train_tanh(teacher, **common, **extra, n_train=args.n_train,
                            input_std=args.input_std, clip=args.clip, bias=args.bias,
                            progress=progress)
    else:
        try:
            from theory_check.train.linear import train_linear
        except ImportError as exc:
            raise ValueError(f"the linear trainer is not available in this installation: {exc}") from None
        result = train_linear(teacher, **common, **extra, param=args.param, progress=progress)
    return [s.to_json() for s in result.students]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if math.isfinite(v) else str(v)
    return str(v)


def cmd_train(args: argparse.Namespace) -> int:
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    steps = args.steps if args.steps is not None else (7500 if args.model == "tanh" else 20000)
    with Progress(TextColumn("training"), BarColumn(), TextColumn("step {task.completed}/{task.total}"),
                  TextColumn("{task.fields[active]} active"), TimeRemainingColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("train", total=max(steps, 1), active=args.seeds)

        def progress(step: int, n_active: int) -> None:
            bar.update(task, completed=step, active=n_active)

        rows = train_students(args, progress)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(title=f"theory-check train ({args.model}, d={args.d}, k={args.k}, "
                  f"σ={args.init_scale:g})")
    for key in _TABLE_KEYS:
        table.add_column(key)
    for r in rows:
        table.add_row(*(_fmt(r.get(key)) for key in _TABLE_KEYS))
    Console(width=max(Console().width, 140)).print(table)
    return 0
