"""`theory-check selftest`: sabotage each engine and check that the claims resting on it notice."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from theory_check.cli import (
    UsageError,
    add_json_option,
    check_json_target,
    float_type,
    int_type,
    write_json,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "selftest", help="sabotage each engine; every claim resting on it must notice",
        description="Run every claim under every sabotage of each engine it rests on (each run "
        "in a fresh process). Exit 0 iff every claim is as expected without sabotage, every "
        "(engine, claim) pair notices at least one sabotage, and nothing crashes.")
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    p.add_argument("--full", action="store_true",
                   help="every sabotage of the catalogue (default: the quick ones)")
    p.add_argument("--sabotage", action="append", metavar="ID", default=None,
                   help="run only this sabotage (repeatable); see --list")
    p.add_argument("--list", action="store_true",
                   help="list the sabotage catalogue (only the engines of the given IDs, only the "
                        "--sabotage ones) and exit; with --json as JSON")
    p.add_argument("--thorough", action="store_true", help="claims at their full-size parameters")
    p.add_argument("--seed", type=int_type("--seed", minimum=0), default=0,
                   help="seed of every claim run (default 0)")
    p.add_argument("--jobs", type=int_type("--jobs", minimum=1), default=2,
                   help="cells run at once (default 2)")
    p.add_argument("--timeout", type=float_type("--timeout", minimum=1.0), default=300.0,
                   help="seconds before a cell is killed and counted as a crash (default 300)")
    p.add_argument("--out", type=Path, metavar="FILE.jsonl",
                   help="append each finished cell here; a rerun with the same file resumes")
    add_json_option(p, "the report (or with --list the catalogue)")
    p.add_argument("--markdown", type=Path, metavar="FILE",
                   help="write the report as Markdown (the copy in proofs/SELFTEST.md)")
    p.set_defaults(func=cmd_selftest)


def cmd_selftest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from theory_check import selftest

    check_json_target(args.json)
    if args.list:
        return _list(args)
    err = Console(stderr=True)
    last = [time.monotonic()]

    def progress(done: int, total: int, cell: selftest.Cell) -> None:
        # One line per cell on a terminal; in logs and pipes at most one line every ~10 s.
        now = time.monotonic()
        if err.is_terminal or now - last[0] >= 10 or done == total:
            last[0] = now
            mark = "CRASH" if cell.crashed else ("noticed" if cell.noticed else "·")
            print(f"[{done}/{total}] {cell.sabotage} × {cell.claim}: {mark} "
                  f"({cell.seconds:.1f} s)", file=sys.stderr, flush=True)

    report = selftest.run(args.ids or None, args.sabotage, full=args.full,
                          thorough=args.thorough, seed=args.seed, jobs=args.jobs,
                          timeout=args.timeout, out=args.out, progress=progress)
    header, rows = selftest.matrix_rows(report)
    # One character per cell keeps 16+ claim columns readable in an 80-column log.
    code = {"PASS": "P", "FAIL": "F", "INCONCLUSIVE": "I", "CRASH": "X", "·": "·", "": ""}
    table = Table(title=f"self-test ({report.mode}): sabotage × claim", title_justify="left",
                  caption="P/F/I: the verdict the sabotage moved the claim to (noticed); "
                  "·: verdict unchanged (not noticed); X: crash; blank: claim does not rest on "
                  "that engine. Baseline row: verdicts without sabotage (! = not as expected).",
                  caption_justify="left")
    table.add_column("sabotage", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    for col in header[2:]:
        table.add_column(col, justify="center", no_wrap=True)
    for r in rows:
        cells = [code.get(c, code.get(c.rstrip("!"), c)) + ("!" if c.endswith("!") else "")
                 for c in r[2:]]
        table.add_row(r[0], r[1], *cells)
    # With JSON on stdout, the table goes to stderr so that stdout is only the JSON.
    to_stdout_json = args.json == "-"
    out = Console(width=None if Console().is_terminal else 160, stderr=to_stdout_json)
    out.print(table)
    for (eng, cid), sabs in report.coverage.items():
        if not sabs:
            out.print(f"gap: {cid} notices no sabotage of {eng}")
    for c in report.crashes:
        out.print(f"crash: {c.sabotage} × {c.claim}: {c.reason}")
    for cid, ok in report.baseline_ok.items():
        if not ok:
            out.print(f"baseline: {cid} is not as expected without sabotage")
    n_pairs = len(report.coverage)
    out.print(f"{n_pairs - len(report.gaps)}/{n_pairs} (engine, claim) pairs noticed, "
              f"{len(report.crashes)} crashes, {len(report.cells)} runs")
    if args.json:
        write_json(args.json, report.to_json())
    if args.markdown:
        args.markdown.write_text(selftest.to_markdown(report))
    return 0 if report.ok else 1


def _list(args: argparse.Namespace) -> int:
    """The catalogue: every sabotage, or those of the engines the given claims rest on, or the
    --sabotage ones; a table (ids in full) or, with --json, a list of objects."""
    from theory_check import selftest

    sabs = selftest.catalogue()
    if args.sabotage:
        known = {s.id for s in sabs}
        unknown = [s for s in args.sabotage if s not in known]
        if unknown:
            raise UsageError(f"--sabotage: unknown id {unknown[0]!r}; see `theory-check selftest --list`")
        sabs = [s for s in sabs if s.id in args.sabotage]
    if args.ids:
        from theory_check import claims

        engines = {e for i in args.ids for e in claims.get(i).engines}
        sabs = [s for s in sabs if s.engine in engines]
    rows = [{"id": s.id, "engine": s.engine, "quick": bool(s.quick), "description": s.description}
            for s in sabs]
    if args.json is not None:
        write_json(args.json, rows)
        if args.json == "-":
            return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sabotage catalogue ({len(rows)} sabotages)")
    table.add_column("id", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("quick", no_wrap=True)
    table.add_column("what it breaks")
    for r in rows:
        table.add_row(r["id"], r["engine"], "yes" if r["quick"] else "full only", r["description"])
    Console(width=max(Console().width, 120)).print(table)
    return 0
