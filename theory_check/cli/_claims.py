"""`theory-check list` and `theory-check verify`."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from theory_check import claims, notes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list the registered claims")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("verify", help="verify claims and print their verdicts")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    p.add_argument("--thorough", action="store_true", help="full-size parameters")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="write the results as a JSON list (rewritten after each claim)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("notes", help="update the 'last verified' block of each proof note")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    p.add_argument("--from-json", type=Path, metavar="FILE",
                   help="take results from a `verify --json` file instead of verifying now")
    p.add_argument("--proofs", type=Path, default=Path("proofs"), help="notes directory")
    p.add_argument("--thorough", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_notes)


def cmd_list(args: argparse.Namespace) -> int:
    table = Table(title="theory-check claims")
    for col in ("id", "title", "kind", "expected", "statement"):
        table.add_column(col)
    for c in claims.all_claims():
        table.add_row(c.id, c.title, str(c.kind), "true" if c.expected else "false (control)",
                      c.statement)
    Console().print(table)
    return 0


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, Fraction):
        return str(v) if v.denominator < 10**6 else f"{float(v):.3g}"
    if isinstance(v, float):
        return f"{v:.3g}" if math.isfinite(v) else str(v)
    return str(v)


def _write_json(path: Path, results: list[claims.ClaimResult]) -> None:
    # Write to a temporary file and rename, so an interrupted run never leaves half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump([r.to_json() for r in results], fh, indent=2)
    os.replace(tmp, path)


def cmd_verify(args: argparse.Namespace) -> int:
    selected = [claims.get(i) for i in args.ids] if args.ids else claims.all_claims()
    if args.json is not None and args.json.is_dir():
        raise ValueError(f"--json must be a file path; {args.json} is a directory")
    results: list[claims.ClaimResult] = []
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                  "{task.total}"), TimeElapsedColumn(), console=err, transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("verifying", total=len(selected))
        for c in selected:
            bar.update(task, description=f"verifying {c.id}")
            results.append(c.verify(thorough=args.thorough, seed=args.seed))
            bar.advance(task)
            if args.json is not None:
                _write_json(args.json, results)

    table = Table(title=f"theory-check verify (seed {args.seed}"
                  f"{', thorough' if args.thorough else ''})")
    for col in ("id", "statement", "expected", "verdict", "key numbers", "s"):
        table.add_column(col, overflow="fold")
    colours = {"PASS": "green", "FAIL": "red", "INCONCLUSIVE": "yellow"}
    for c, r in zip(selected, results, strict=True):
        keys = c.headline or tuple(r.evidence)[:3]
        numbers = ", ".join(f"{k}={_fmt(r.evidence[k])}" for k in keys if k in r.evidence)
        verdict = f"[{colours[r.status.value]}]{r.status.value}[/]"
        if not r.as_expected:
            verdict += " ✗"
        table.add_row(c.id, c.statement, "PASS" if c.expected else "FAIL", verdict,
                      numbers or r.reason, f"{r.seconds:.2f}")
    Console(width=max(Console().width, 140)).print(table)
    bad = [r for r in results if not r.as_expected]
    for r in bad:
        print(f"{r.id}: expected {'PASS' if r.expected else 'FAIL'}, got {r.status.value}: "
              f"{r.reason}")
    return 1 if bad else 0


def cmd_notes(args: argparse.Namespace) -> int:
    if args.from_json is not None:
        try:
            data = json.loads(args.from_json.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"--from-json: cannot read {args.from_json}: {exc}") from None
        wanted = {claims.get(i).id for i in args.ids} if args.ids else None
        results = [r for r in data if wanted is None or r["id"] in wanted]
    else:
        results = list(claims.iter_verify(args.ids or None, thorough=args.thorough,
                                          seed=args.seed))
    changed = notes.update_notes(results, args.proofs)
    print(f"updated {len(changed)} of {len(results)} notes in {args.proofs}")
    index = args.proofs / "README.md"
    if index.exists():
        notes.update_index(index, figure_dir="figures", note_dir=".", thumbnails=True)
    readme = args.proofs.parent / "README.md"
    if readme.exists() and notes.INDEX_BEGIN in readme.read_text():
        notes.update_index(readme, figure_dir=f"{args.proofs.name}/figures",
                           note_dir=args.proofs.name, thumbnails=False)
    missing, orphans = notes.note_coverage(args.proofs)
    if missing or orphans:
        print(f"claims without a note: {missing}; notes without a claim: {orphans}")
        return 1
    return 0
