"""`theory-check train`: train students (linear, tanh, complex-diagonal or MIMO) on a balanced
or damped-oscillation teacher, print their metrics."""

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
#: complex-diagonal and MIMO defaults are those of claims C12 (cd_d, cd_lr, cd_steps) and C13.
DEFAULTS: dict[str, dict[str, Any]] = {
    "linear": {"d": 40, "steps": 20000, "lr": None},
    "tanh": {"d": 20, "steps": 1000, "lr": 0.1, "n_train": 150},
    "complex-diagonal": {"d": 8, "steps": 30000, "lr": 0.06},
    "mimo": {"d": 6, "steps": 8000, "lr": 0.02},
}
MODELS: tuple[str, ...] = tuple(DEFAULTS)
TEACHERS: tuple[str, ...] = ("balanced", "oscillating")

_EPILOG = """\
Teachers (--teacher): balanced (default): A = diag(λ̂), B = Cᵀ = √β̂ from --teacher-atoms
and --teacher-weights, ŵ_j = Σ β̂_i λ̂_i^j; oscillating: ŵ_j = ρ^j cos(jω) (A = ρ·rotation(ω),
eigenvalues ρe^{±iω}, d̂ = 2; claim C12) from --rho in (0, 1] and --omega in (0, π]. MIMO
(--model mimo): A = diag(λ̂), B = [b_iᵀ], C = Bᵀ from --teacher-atoms and --teacher-b, one
vector b_i ∈ R^m per atom, vectors separated by ';' ("1,0;1/2,1"), Ŵ_j = Σ_i λ̂_i^j b_i b_iᵀ.

Students (--model): linear (full A, or --param), tanh, complex-diagonal (d modes λ_i, b_i, c_i
complex, g_j = Re Σ c_i λ_i^j b_i; claim C12), mimo (full A, d×m B, m×d C; claim C13; --m, if
given, must equal the length of each --teacher-b vector). tanh takes the balanced or
oscillating teacher, complex-diagonal both, mimo only its own teacher.

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
numerical rank of the Hankel matrix of g_0..g_{q-1} (tanh: of the hidden states; mimo: of the
block Hankel matrix [G_{i+j}]). mimo: E_q = max_{j<q} max|G_j - Ŵ_j|, relative to max|Ŵ_0|.
complex-diagonal JSON adds `modes` (λ_i with |c_i b_i| above 1e-6 of the largest, [re, im]).

Time: the linear default (d=40, 20000 steps, k=5) takes a few seconds per student; the tanh
default (d=20, n_train=150, 1000 steps) about 5 s; cost grows like steps · n_train · d² for tanh.
JSON: one object per student; complex numbers (learned atoms and weights) are [re, im] pairs,
always, also when the imaginary part is 0; non-finite numbers are the strings "nan", "inf"."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train students by GD and print their metrics",
                       description="Train students on a balanced teacher A = diag(λ̂), B = Cᵀ = √β̂ "
                                   "(or a damped oscillation, or a MIMO teacher) and print one "
                                   "row (or JSON object) per student.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teacher", choices=TEACHERS, default="balanced",
                   help="teacher kind (default balanced; see below)")
    p.add_argument("--teacher-atoms", default=None, metavar="0.9,-0.5",
                   help="teacher atoms λ̂, distinct, in [-1, 1] (balanced and MIMO teachers)")
    p.add_argument("--teacher-weights", default=None, metavar="1,1",
                   help="teacher weights β̂ > 0 (default: all 1)")
    p.add_argument("--rho", type=float_type("--rho", minimum=0.0, strict=True, maximum=1.0),
                   default=None, help="oscillating teacher: decay ρ in (0, 1]")
    p.add_argument("--omega", type=float_type("--omega", minimum=0.0, strict=True,
                                              maximum=3.141592653589793),
                   default=None, help="oscillating teacher: frequency ω in (0, π]")
    p.add_argument("--d", type=int_type("--d", minimum=1), default=None,
                   help="student state dimension (default: linear 40, tanh 20, "
                        "complex-diagonal 8 modes, mimo 6)")
    p.add_argument("--k", type=int_type("--k", minimum=1), default=5, help="training length k (default 5)")
    p.add_argument("--init-scale", type=float_type("--init-scale", minimum=0.0), default=1e-3,
                   help="init scale σ: entries N(0, σ²/d) (default 1e-3)")
    p.add_argument("--lr", type=float_type("--lr", minimum=0.0, strict=True), default=None,
                   help="step size η (default: linear min(1e-2, 0.5/λ) at the teacher; tanh 0.1; "
                        "complex-diagonal 0.06; mimo 0.02)")
    p.add_argument("--steps", type=int_type("--steps", minimum=0), default=None,
                   help="maximum GD steps (default: linear 20000, tanh 1000, complex-diagonal "
                        "30000, mimo 8000)")
    p.add_argument("--param", choices=("full", "diagonal", "balanced"), default="full",
                   help="linear parameterization (default full)")
    p.add_argument("--model", choices=MODELS, default="linear",
                   help="student family (default linear; see below)")
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
    g = p.add_argument_group("MIMO model")
    g.add_argument("--teacher-b", default=None, metavar="'1,0;1/2,1'",
                   help="one vector b_i ∈ R^m per teacher atom, separated by ';'")
    g.add_argument("--m", type=int_type("--m", minimum=1), default=None,
                   help="inputs = outputs m (default: the length of the --teacher-b vectors)")
    add_json_option(p, "one object per student")
    p.set_defaults(func=cmd_train)


def _resolved(args: argparse.Namespace, name: str) -> Any:
    value = getattr(args, name, None)
    return DEFAULTS[args.model].get(name) if value is None else value


def _fraction_vectors(text: str, n_atoms: int) -> list[list[float]]:
    """--teacher-b "1,0;1/2,1" → [[1, 0], [0.5, 1]]: one vector per atom, all of one length m,
    entries numbers or fractions, not all zero."""
    from fractions import Fraction

    rows = [r for r in text.split(";") if r.strip()]
    try:
        vecs = [[float(Fraction(x.strip())) for x in r.split(",") if x.strip()] for r in rows]
    except (ValueError, ZeroDivisionError):
        raise UsageError("--teacher-b must be vectors of numbers or fractions separated by ';' "
                         f"(e.g. '1,0;1/2,1'); got {text!r}") from None
    if len(vecs) != n_atoms:
        raise UsageError(f"--teacher-b must have one vector per atom ({n_atoms}); got {len(vecs)}")
    if len({len(v) for v in vecs}) != 1 or not vecs[0]:
        raise UsageError(f"--teacher-b vectors must all have the same length m >= 1; got {text!r}")
    if any(not any(v) for v in vecs):
        raise UsageError(f"--teacher-b vectors must be nonzero; got {text!r}")
    return vecs


def _check_combination(args: argparse.Namespace) -> None:
    """One-line UsageError for every option that does not fit the teacher and model chosen."""
    model, teacher = args.model, args.teacher
    if model == "mimo" and teacher != "balanced":
        raise UsageError(f"--teacher must be balanced for --model mimo (its teacher is "
                         f"--teacher-atoms with --teacher-b); got {teacher}")
    if teacher == "oscillating":
        if args.rho is None or args.omega is None:
            raise UsageError("--teacher oscillating needs --rho in (0, 1] and --omega in (0, π]")
        for opt in ("teacher_atoms", "teacher_weights"):
            if getattr(args, opt) is not None:
                raise UsageError(f"--{opt.replace('_', '-')} applies to --teacher balanced only "
                                 "(the oscillating teacher is --rho, --omega)")
    else:
        for opt in ("rho", "omega"):
            if getattr(args, opt) is not None:
                raise UsageError(f"--{opt} applies to --teacher oscillating only")
        if args.teacher_atoms is None:
            raise UsageError("--teacher-atoms is required for --teacher balanced (e.g. "
                             "--teacher-atoms 0.9,-0.5)")
    if model == "mimo":
        if args.teacher_b is None:
            raise UsageError("--model mimo needs --teacher-b, one vector per atom (e.g. '1,0;1/2,1')")
        if args.teacher_weights is not None:
            raise UsageError("--teacher-weights applies to scalar teachers; a MIMO teacher's "
                             "weights are the --teacher-b vectors")
    elif args.teacher_b is not None or args.m is not None:
        raise UsageError(f"--teacher-b and --m apply to --model mimo only; got --model {model}")
    if model != "linear" and args.param != "full":
        raise UsageError(f"--param applies to --model linear only; got --model {model}")
    if model != "tanh" and (args.n_train is not None or args.bias):
        raise UsageError(f"--n-train and --bias apply to --model tanh only; got --model {model}")


def _teacher_targets(args: argparse.Namespace, q: int) -> tuple[Any, int]:
    """(teacher, d̂): a `LinearRNN` (balanced or oscillating) or, for mimo, Markov parameters
    Ŵ_j (q, m, m); d̂ is the teacher's state dimension. Built as `sweep` builds its tasks'."""
    from theory_check.sweep import teacher_impulse, teacher_rnn

    if args.teacher == "oscillating":
        return teacher_rnn({"kind": "oscillating", "rho": args.rho, "omega": args.omega}), 2
    if args.model == "mimo":
        atoms, _ = parse_teacher(args.teacher_atoms, None)
        vecs = _fraction_vectors(args.teacher_b, len(atoms))
        if args.m is not None and args.m != len(vecs[0]):
            raise UsageError(f"--m must equal the length of each --teacher-b vector "
                             f"({len(vecs[0])}); got {args.m}")
        return teacher_impulse({"kind": "mimo", "atoms": atoms, "vectors": vecs}, q), len(atoms)
    atoms, weights = parse_teacher(args.teacher_atoms, args.teacher_weights)
    return teacher_rnn({"atoms": atoms, "weights": weights or [1.0] * len(atoms)}), len(atoms)


def train_students(args: argparse.Namespace, progress=None) -> list[dict[str, Any]]:
    """Run the trainer the arguments name; return one JSON object per student.

    `progress(step, n_active)` is passed to the trainer (about 100 calls per run; the
    complex-diagonal and MIMO trainers take none)."""
    _check_combination(args)
    q = args.horizon if args.horizon is not None else max(10 * args.k, 100)
    if args.model in ("mimo", "complex-diagonal") and q < args.k:
        raise UsageError(f"--horizon must be >= --k ({args.k}); got {q}")
    teacher, d_hat = _teacher_targets(args, q)
    d = _resolved(args, "d")
    if d < d_hat:
        raise UsageError(f"--d must be >= the teacher dimension {d_hat} (overparameterized); "
                         f"got {d}")
    seeds = list(range(args.seeds))
    if args.model in ("mimo", "complex-diagonal"):
        kw = {"d": d, "k": args.k, "init_scale": args.init_scale, "seeds": seeds,
              "lr": _resolved(args, "lr"), "steps": _resolved(args, "steps"),
              "loss_tol": args.loss_tol}
        if args.model == "mimo":
            from theory_check.train.mimo import train_mimo

            students = train_mimo(teacher, **kw).students
        else:
            from theory_check.train.complex_diag import train_complex_diagonal

            students = train_complex_diagonal(teacher.impulse_response(q), **kw).students
        from theory_check.sweep import student_json

        return [student_json(s, q) for s in students]
    common: dict[str, Any] = {"d": d, "k": args.k, "init_scale": args.init_scale,
                              "seeds": seeds, "horizon": args.horizon,
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

    who = (f"ρ={args.rho:g}, ω={args.omega:g}" if args.teacher == "oscillating"
           else f"λ̂={args.teacher_atoms}" + (f", b={args.teacher_b}" if args.model == "mimo" else ""))
    table = Table(title=f"theory-check train ({args.model}, teacher {who}, "
                        f"d={_resolved(args, 'd')}, k={args.k}, σ={args.init_scale:g})",
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
