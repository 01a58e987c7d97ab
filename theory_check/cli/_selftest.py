"""`theory-check selftest`: sabotage each engine and check that the claims resting on it notice."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


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
    p.add_argument("--list", action="store_true", help="list the sabotage catalogue and exit")
    p.add_argument("--thorough", action="store_true", help="claims at their full-size parameters")
    p.add_argument("--seed", type=int, default=0, help="seed of every claim run (default 0)")
    p.add_argument("--jobs", type=int, default=2, help="cells run at once (default 2)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds before a cell is killed and counted as a crash (default 300)")
    p.add_argument("--out", type=Path, metavar="FILE.jsonl",
                   help="append each finished cell here; a rerun with the same file resumes")
    p.add_argument("--json", metavar="FILE", nargs="?", const="-",
                   help="the report as JSON: to stdout (no FILE, or '-'), or to FILE")
    p.add_argument("--markdown", type=Path, metavar="FILE",
                   help="write the report as Markdown (the copy in proofs/SELFTEST.md)")
    p.set_defaults(func=cmd_selftest)


def cmd_selftest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from theory_check import selftest

    if args.list:
        table = Table(title="sabotage catalogue")
        for col in ("id", "engine", "quick", "what it breaks"):
            table.add_column(col)
        for s in selftest.catalogue():
            table.add_row(s.id, s.engine, "yes" if s.quick else "full only", s.description)
        Console().print(table)
        return 0
    if args.seed < 0:
        raise ValueError(f"--seed must be an integer >= 0; got {args.seed}")
    if args.jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1; got {args.jobs}")
    if args.timeout < 1:
        raise ValueError(f"--timeout must be a number of seconds >= 1; got {args.timeout}")
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
        text = json.dumps(report.to_json(), indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    if args.markdown:
        args.markdown.write_text(selftest.to_markdown(report))
    return 0 if report.ok else 1
