"""`theory-check integrate`: one gradient-flow (or GD) run, summarised as JSON or a table."""

from __future__ import annotations

import argparse
import sys

from theory_check.cli import (
    UsageError,
    add_json_option,
    check_json_target,
    float_type,
    int_type,
    parse_teacher,
    write_json,
)

# Repeated from theory_check.flow (importing it costs numpy and mpmath at start-up);
# tests/test_cli.py checks that they agree.
METHODS: tuple[str, ...] = ("taylor", "odefun", "dop853", "gd")
PARAMS: tuple[str, ...] = ("full", "diagonal", "balanced")
MAX_DPS = 200


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("integrate", help="integrate the gradient flow of L_k (Taylor, odefun, DOP853, GD)",
                       description="Integrate dθ/dt = -∇L_k(θ) from a random student of scale σ towards a "
                       "balanced teacher and report loss, drift of Q = AAᵀ - AᵀA + BBᵀ - CᵀC (relative "
                       "to ‖θ(t)‖²) and unbalancedness.",
                       epilog="Status: ok (reached T), diverged (‖θ‖∞ left the bound; exit 1), "
                       "interrupted (Ctrl-C; the summary so far is printed, exit 130); the first line of the "
                       "table says which, t_end how far the run got.")
    p.add_argument("--param", choices=PARAMS, default="full", help="parameterization (default full)")
    p.add_argument("--d", type=int_type("--d", minimum=1), default=3,
                   help="student state dimension (default 3)")
    p.add_argument("--k", type=int_type("--k", minimum=1), default=4, help="training length k (default 4)")
    p.add_argument("--teacher-atoms", default="0.9,-0.5", metavar="0.9,-0.5",
                   help="teacher atoms λ̂ in [-1, 1] (default 0.9,-0.5)")
    p.add_argument("--teacher-weights", default=None, metavar="1,1",
                   help="teacher weights β̂ > 0 (default all 1)")
    p.add_argument("--init-scale", type=float_type("--init-scale", minimum=0.0), default=1e-2,
                   help="init scale σ (default 1e-2)")
    p.add_argument("--T", type=float_type("--T", minimum=0.0, strict=True), default=50.0,
                   help="time horizon T > 0 (default 50)")
    p.add_argument("--dps", type=int_type("--dps", minimum=5, maximum=MAX_DPS), default=None,
                   help=f"decimal digits, 5..{MAX_DPS} (methods taylor, odefun; default 30)")
    p.add_argument("--method", choices=METHODS, default="taylor", help="integrator (default taylor)")
    p.add_argument("--eta", type=float_type("--eta", minimum=0.0, strict=True), default=None,
                   help="GD step size (method gd only; required there)")
    p.add_argument("--seed", type=int_type("--seed", minimum=0), default=0,
                   help="seed of the random student (default 0)")
    add_json_option(p, "the summary")
    p.set_defaults(func=cmd_integrate)


def cmd_integrate(args: argparse.Namespace) -> int:
    check_json_target(args.json)
    # The engine checks these too, in its own words (eta=, method=); here they name the options.
    if args.method == "gd" and args.eta is None:
        raise UsageError("--method gd needs --eta, a step size > 0")
    if args.method != "gd" and args.eta is not None:
        raise UsageError(f"--eta applies only to method gd; got --method {args.method}")
    if args.method in ("dop853", "gd") and args.dps is not None:
        raise UsageError(f"--dps applies only to method taylor or odefun; got --method {args.method}")
    atoms, weights = parse_teacher(args.teacher_atoms, args.teacher_weights)
    from theory_check.cli._format import fmt
    from theory_check.cli._progress import progress, time_reached
    from theory_check.flow import integrate
    from theory_check.model import balanced_teacher, random_student

    teacher = balanced_teacher(atoms, weights)
    student = random_student(args.d, args.init_scale, args.seed, kind=args.param)
    # The engine calls bar.update(t) with the time reached (dop853: once, at the end), so the
    # shared display shows a bar on a terminal and plain lines elsewhere; Ctrl-C inside the run
    # ends it with status "interrupted" and the summary so far.
    with progress(f"integrate ({args.method})", args.T, show=time_reached) as bar:
        tr = integrate(student, teacher, args.k, args.T, method=args.method, param=args.param,
                       dps=args.dps, eta=args.eta, progress=bar.update)
    summary = tr.summary()  # the JSON record, its fields fixed by the flow engine
    if args.json is not None:
        write_json(args.json, summary)
    if args.json != "-":
        # The summary starts with status and t_end: a run that stopped early (diverged,
        # interrupted) says so in the table, not only on stderr.
        for key, val in summary.items():
            print(f"{key:22s} {fmt(val)}")
    if tr.status != "ok":
        print(f"theory-check: integrate: run {tr.status} at t = {tr.t_end:.6g}", file=sys.stderr)
        return 130 if tr.status == "interrupted" else 1
    return 0
