"""`theory-check sweep`: run a resumable grid of training tasks (one JSON line per finished task),
then `sweep summarize RESULTS.jsonl` (a table per grid cell) and `sweep plot RESULTS.jsonl`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from theory_check.cli import (
    UsageError,
    add_json_option,
    check_json_target,
    float_type,
    int_type,
    parse_floats,
    parse_teacher,
    write_json,
)

# Grid flags: option name → (grid key, parser of one comma-separated item).
_AXES: dict[str, tuple[str, Any]] = {
    "--model": ("model", str), "--param": ("param", str), "--d": ("d", int), "--k": ("k", int),
    "--init-scale": ("init_scale", float), "--seed": ("seed", int), "--lr": ("lr", float),
    "--steps": ("steps", int), "--horizon": ("horizon", int), "--n-train": ("n_train", int),
    "--input-std": ("input_std", float), "--clip": ("clip", float),
}
_ACTIONS = ("run", "summarize", "plot")
_STATUSES = ("Statuses (one column each): converged = the training loss reached loss_tol; "
             "max_steps = the step budget ran out first (its metrics are those of the last "
             "step; the L_k column says how far it got; tanh students always end so); diverged "
             "= the loss became non-finite or exploded (no metrics). More: `theory-check train "
             "--help`.")


def rewrite_argv(argv: list[str]) -> list[str]:
    """`sweep CONFIG.toml …` (no action word) means `sweep run CONFIG.toml …`."""
    i = argv.index("sweep") if "sweep" in argv else -1
    if i < 0:
        return argv
    rest = argv[i + 1:]
    if rest and rest[0] in (*_ACTIONS, "-h", "--help"):
        return argv
    return [*argv[:i + 1], "run", *rest]


def register(sub: argparse._SubParsersAction) -> None:
    top = sub.add_parser(
        "sweep", help="run a resumable grid of training tasks; summarize or plot its results",
        description="`sweep [run] CONFIG.toml --out R.jsonl` runs a grid of training tasks "
                    "(`run` may be left out); `sweep summarize R.jsonl` prints one row per grid "
                    "cell; `sweep plot R.jsonl --out F.png` plots the extrapolation error "
                    "against the init scale. Example config: tests/examples/sweep.toml.")
    actions = top.add_subparsers(dest="sweep_command", metavar="ACTION", parser_class=type(top))
    actions.required = True

    p = actions.add_parser(
        "run", help="run the grid (the default action)",
        description="Run the grid of a TOML sweep config (or of the grid flags; flags override "
                    "the file). Finished tasks are appended to --out as JSON lines; re-running "
                    "skips them. Teacher atoms must lie in [-1, 1]. Teacher kinds (balanced, "
                    "oscillating, mimo) and models (linear, tanh, complex-diagonal, mimo): "
                    "tests/examples/sweep.toml; the flags give a balanced teacher.")
    p.add_argument("config", nargs="?", type=Path, metavar="CONFIG.toml", help="sweep config")
    p.add_argument("--out", type=Path, required=True, help="results file (JSON lines, appended)")
    p.add_argument("--scheduler", default="local", metavar="local|local-dask|tcp://HOST:PORT",
                   help="executor: local process pool (default), a Dask LocalCluster, or an "
                        "existing Dask scheduler")
    p.add_argument("--workers", type=int_type("--workers", minimum=1), default=None,
                   help="worker processes for local / local-dask (default: CPU count)")
    p.add_argument("--timeout", type=float_type("--timeout", minimum=0.0, strict=True), default=10.0,
                   help="seconds to wait for a tcp:// scheduler (default 10)")
    p.add_argument("--teacher-atoms", default=None, metavar="0.9,-0.5", help="teacher atoms in [-1, 1]")
    p.add_argument("--teacher-weights", default=None, metavar="1,1")
    g = p.add_argument_group("grid axes (comma-separated lists)")
    for flag, (key, _) in _AXES.items():
        g.add_argument(flag, dest=f"axis_{key}", default=None, metavar="V1,V2", help=key)
    p.set_defaults(func=cmd_sweep)

    p = actions.add_parser(
        "summarize", help="one row per grid cell: status counts and medians over seeds",
        description="Summarize a sweep results file: one row per grid cell (the config keys "
                    "that vary, seed excluded) with the number of seeds, the status counts and "
                    "the medians over seeds of E_q/|ŵ_0|, E_q, effective dimension and L_k "
                    "(over the seeds that have a finite value; diverged ones have none).",
        epilog=_STATUSES)
    p.add_argument("results", type=Path, metavar="RESULTS.jsonl")
    add_json_option(p, "the cells")
    p.set_defaults(func=cmd_summarize)

    p = actions.add_parser(
        "plot", help="plot the extrapolation error against the init scale",
        description="Plot a sweep's extrapolation error E_q/|ŵ_0| (or --metric) against the "
                    "init scale σ: one line (median over seeds) per combination of the other "
                    "varying keys, each seed a dot.")
    p.add_argument("results", type=Path, metavar="RESULTS.jsonl")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png",
                   help="image file (.png, .pdf, .svg)")
    p.add_argument("--metric", default="extrapolation_error_rel",
                   choices=("extrapolation_error_rel", "extrapolation_error", "effective_dim", "train_loss"),
                   help="the y axis (default extrapolation_error_rel)")
    p.set_defaults(func=cmd_plot)


def _axis(flag: str, kind: Any, text: str) -> list[Any]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    if kind is float:
        return parse_floats(flag, text)
    if kind is int:
        try:
            return [int(s) for s in items]
        except ValueError:
            raise UsageError(f"{flag} must be comma-separated integers; got {text!r}") from None
    return items


def build_config(args: argparse.Namespace):
    """The sweep config from the TOML file and/or the flags (flags win)."""
    import tomllib

    from theory_check import sweep

    raw: dict[str, Any] = {"grid": {}}
    text = ""
    if args.config is not None:
        sweep.load_config(args.config)  # validates, with file/line/key in errors
        text = args.config.read_text()
        raw = tomllib.loads(text)
        raw.setdefault("grid", {})
    if args.teacher_atoms is not None:
        atoms, weights = parse_teacher(args.teacher_atoms, args.teacher_weights)
        raw["teacher"] = {"atoms": atoms} if weights is None else {"atoms": atoms, "weights": weights}
    elif args.teacher_weights is not None:
        raise UsageError("--teacher-weights needs --teacher-atoms")
    if "teacher" not in raw:
        raise UsageError("give a CONFIG.toml or --teacher-atoms")
    for flag, (key, kind) in _AXES.items():
        value = getattr(args, f"axis_{key}")
        if value is not None:
            raw["grid"][key] = _axis(flag, kind, value)
    try:
        return sweep.parse_config(raw, text=text, source=str(args.config or "command line"))
    except ValueError as exc:
        # "command line: grid key 'init_scale': init_scale must be …" → "--init-scale must be …"
        # when the value came from that flag.
        m = re.fullmatch(r".*?: grid key '(\w+)'(?: \(line \d+\))?: \1 (.*)", str(exc), flags=re.S)
        flags = {key: flag for flag, (key, _) in _AXES.items() if getattr(args, f"axis_{key}") is not None}
        if m and m[1] in flags:
            raise UsageError(f"{flags[m[1]]} {m[2]}") from None
        raise


def cmd_sweep(args: argparse.Namespace) -> int:
    from theory_check import sweep
    from theory_check.cli._progress import count, progress

    config = build_config(args)
    n = len(config.tasks())
    done = len(sweep.finished_tasks(config, args.out))  # refuses another sweep's file up front
    print(f"sweep {config.fingerprint}: {n} tasks ({done} already in {args.out}), "
          f"scheduler {args.scheduler}",
          file=sys.stderr, flush=True)
    with progress("sweep", n, show=count("tasks")) as bar:
        bar.update(done)
        summary = sweep.run_sweep(config, args.out, scheduler=args.scheduler, workers=args.workers,
                                  timeout=args.timeout, on_progress=lambda k, _n: bar.update(k))
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{summary.completed} run, {summary.skipped} already done, {len(summary.failed)} failed "
          f"of {summary.total} tasks in {summary.seconds:.1f} s -> {summary.out}")
    for key, err in summary.failed[:5]:
        print(f"task {key} failed: {err}", file=sys.stderr)
    return 1 if summary.failed else 0


def cmd_summarize(args: argparse.Namespace) -> int:
    check_json_target(args.json)
    from theory_check import sweep

    cells = sweep.summarize_results(args.results)
    if args.json is not None:
        write_json(args.json, [c.to_json() for c in cells])
    if args.json == "-":
        return 0
    from rich.console import Console
    from rich.table import Table

    from theory_check.cli._format import fmt

    keys = list(cells[0].cell) if cells else []
    table = Table(title=f"sweep summary: {args.results} ({sum(c.n for c in cells)} tasks, "
                  f"{len(cells)} cells)",
                  caption="medians over the seeds of each cell with a finite value; "
                          "E_q/|ŵ_0| = max_{j<q}|g_j - ŵ_j| / |ŵ_0|; statuses: "
                          "sweep summarize --help")
    for col in (*keys, "seeds", "converged", "max_steps", "diverged", "E_q/|ŵ_0|", "E_q",
                "eff. dim", "L_k"):
        table.add_column(col, justify="right")
    for c in cells:
        cell = [sweep._label(c.cell[k]) for k in keys]
        st = [str(c.statuses.get(s, 0)) for s in ("converged", "max_steps", "diverged")]
        med = [fmt(c.medians[m]) for m in sweep.SUMMARY_METRICS]
        table.add_row(*cell, str(c.n), *st, *med)
    Console(width=max(Console().width, 120)).print(table)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from theory_check import sweep

    if args.out.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise UsageError(f"--out must end in .png, .pdf or .svg; got {args.out}")
    path = sweep.plot_results(args.results, args.out, metric=args.metric)
    print(f"wrote {path}")
    return 0
