"""`theory-check sweep`: run a resumable grid of training tasks, one JSON line per finished task."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from theory_check.cli import UsageError, parse_floats

# Grid flags: option name → (grid key, parser of one comma-separated item).
_AXES: dict[str, tuple[str, Any]] = {
    "--model": ("model", str), "--param": ("param", str), "--d": ("d", int), "--k": ("k", int),
    "--init-scale": ("init_scale", float), "--seed": ("seed", int), "--lr": ("lr", float),
    "--steps": ("steps", int), "--horizon": ("horizon", int), "--n-train": ("n_train", int),
    "--input-std": ("input_std", float), "--clip": ("clip", float),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run a resumable grid of training tasks (JSON lines)",
        description="Run the grid of a TOML sweep config (or of the grid flags; flags override "
                    "the file). Finished tasks are appended to --out as JSON lines; re-running "
                    "skips them.")
    p.add_argument("config", nargs="?", type=Path, metavar="CONFIG.toml", help="sweep config")
    p.add_argument("--out", type=Path, required=True, help="results file (JSON lines, appended)")
    p.add_argument("--scheduler", default="local", metavar="local|local-dask|tcp://HOST:PORT",
                   help="executor: local process pool (default), a Dask LocalCluster, or an "
                        "existing Dask scheduler")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes for local / local-dask (default: CPU count)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for a tcp:// scheduler (default 10)")
    p.add_argument("--teacher-atoms", default=None, metavar="0.9,-0.5")
    p.add_argument("--teacher-weights", default=None, metavar="1,1")
    g = p.add_argument_group("grid axes (comma-separated lists)")
    for flag, (key, _) in _AXES.items():
        g.add_argument(flag, dest=f"axis_{key}", default=None, metavar="V1,V2", help=key)
    p.set_defaults(func=cmd_sweep)


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
        cfg = sweep.load_config(args.config)  # validates, with file/line/key in errors
        text = args.config.read_text()
        raw = tomllib.loads(text)
        raw.setdefault("grid", {})
        del cfg
    if args.teacher_atoms is not None:
        raw["teacher"] = {"atoms": parse_floats("--teacher-atoms", args.teacher_atoms)}
        if args.teacher_weights is not None:
            raw["teacher"]["weights"] = parse_floats("--teacher-weights", args.teacher_weights)
    elif args.teacher_weights is not None:
        raise UsageError("--teacher-weights needs --teacher-atoms")
    if "teacher" not in raw:
        raise UsageError("give a CONFIG.toml or --teacher-atoms")
    for flag, (key, kind) in _AXES.items():
        value = getattr(args, f"axis_{key}")
        if value is not None:
            raw["grid"][key] = _axis(flag, kind, value)
    return sweep.parse_config(raw, text=text, source=str(args.config or "command line"))


def cmd_sweep(args: argparse.Namespace) -> int:
    from theory_check import sweep

    config = build_config(args)
    n = len(config.tasks())
    done = len(sweep.finished_tasks(config, args.out))  # refuses another sweep's file up front
    print(f"sweep {config.fingerprint}: {n} tasks ({done} already in {args.out}), "
          f"scheduler {args.scheduler}",
          file=sys.stderr, flush=True)
    summary = sweep.run_sweep(config, args.out, scheduler=args.scheduler, workers=args.workers,
                              timeout=args.timeout)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{summary.completed} run, {summary.skipped} already done, {len(summary.failed)} failed "
          f"of {summary.total} tasks in {summary.seconds:.1f} s -> {summary.out}")
    for key, err in summary.failed[:5]:
        print(f"task {key} failed: {err}", file=sys.stderr)
    return 1 if summary.failed else 0
