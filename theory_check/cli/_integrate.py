"""`theory-check integrate`: one gradient-flow (or GD) run, summarised as JSON or a table."""

from __future__ import annotations

import argparse
import json
import sys

from theory_check.cli import parse_floats
from theory_check.flow import MAX_DPS, METHODS, PARAMS, integrate
from theory_check.model import balanced_teacher, random_student


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("integrate", help="integrate the gradient flow of L_k (Taylor, odefun, DOP853, GD)",
                       description="Integrate dθ/dt = -∇L_k(θ) from a random student of scale σ towards a "
                       "balanced teacher and report loss, drift of Q = AAᵀ - AᵀA + BBᵀ - CᵀC (relative "
                       "to ‖θ(t)‖²) and unbalancedness.")
    p.add_argument("--param", choices=PARAMS, default="full", help="parameterization (default full)")
    p.add_argument("--d", type=int, default=3, help="student state dimension (default 3)")
    p.add_argument("--k", type=int, default=4, help="training length k (default 4)")
    p.add_argument("--teacher-atoms", default="0.9,-0.5", help="teacher atoms λ̂ (default 0.9,-0.5)")
    p.add_argument("--teacher-weights", default=None, help="teacher weights β̂ > 0 (default all 1)")
    p.add_argument("--init-scale", type=float, default=1e-2, help="init scale σ (default 1e-2)")
    p.add_argument("--T", type=float, default=50.0, help="time horizon T > 0 (default 50)")
    p.add_argument("--dps", type=int, default=None,
                   help=f"decimal digits, 5..{MAX_DPS} (methods taylor, odefun; default 30)")
    p.add_argument("--method", choices=METHODS, default="taylor", help="integrator (default taylor)")
    p.add_argument("--eta", type=float, default=None, help="GD step size (method gd only; required there)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random student (default 0)")
    p.add_argument("--json", action="store_true", help="print the JSON summary only")
    p.set_defaults(func=cmd_integrate)


def cmd_integrate(args: argparse.Namespace) -> int:
    atoms = parse_floats("--teacher-atoms", args.teacher_atoms)
    weights = (None if args.teacher_weights is None
               else parse_floats("--teacher-weights", args.teacher_weights))
    teacher = balanced_teacher(atoms, weights)
    kind = {"full": "full", "diagonal": "diagonal", "balanced": "balanced"}[args.param]
    student = random_student(args.d, args.init_scale, args.seed, kind=kind)
    tr = integrate(student, teacher, args.k, args.T, method=args.method, param=args.param,
                   dps=args.dps, eta=args.eta)
    summary = tr.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for key, val in summary.items():
            print(f"{key:22s} {val}")
    if tr.status != "ok":
        print(f"theory-check: integrate: run {tr.status} at t = {tr.t_end:.6g}", file=sys.stderr)
        return 130 if tr.status == "interrupted" else 1
    return 0
