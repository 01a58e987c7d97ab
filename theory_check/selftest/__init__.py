"""Self-test by sabotage: a verifier whose verdicts move when an engine is wrong.

A *sabotage* patches one engine to be wrong in one plain, named way (a gradient off by a
symmetric term, a prover that proves everything, a halved interval, …). Each claim declares the
engines its verdict rests on (`Claim.engines`); the self-test runs every claim under every
sabotage of each of its engines, each run in a fresh forked process, and records whether the
claim *noticed*: its verdict is no longer the expected one (PASS for a claim, FAIL for a negative
control), without an exception escaping `verify` (a *crash*) and within the time limit.

The self-test passes when (i) every claim is as expected without sabotage (the baseline), (ii)
for every claim and every engine it depends on at least one sabotage of that engine is noticed,
and (iii) nothing crashes or hangs. Sabotages live in the catalogue modules beside this one, one
per engine; each is a function returning a context manager, registered with `@sabotage`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theory_check.results import NotebookRepr, jsonable

CATALOGUES: tuple[str, ...] = ("model", "symbolic", "flow", "moments", "train")
BASELINE = "baseline"  # the pseudo-sabotage that patches nothing


@dataclass(frozen=True)
class Sabotage:
    """One way to make one engine wrong: `apply()` returns a context manager that patches it."""

    id: str
    engine: str
    description: str
    apply: Callable[[], ContextManager[Any]]
    quick: bool = True


SABOTAGES: dict[str, Sabotage] = {}


def sabotage(id: str, *, engine: str, description: str, quick: bool = True
             ) -> Callable[[Callable[[], ContextManager[Any]]], Callable[[], ContextManager[Any]]]:
    """Register the decorated `() -> context manager` as sabotage `id` of `engine`.

    `quick` sabotages make up `theory-check selftest` (default); `--full` runs all of them.
    """
    from theory_check.claims._registry import ENGINES

    if engine not in ENGINES:
        raise ValueError(f"sabotage {id}: engine must be one of {list(ENGINES)}; got {engine!r}")

    def deco(fn: Callable[[], ContextManager[Any]]) -> Callable[[], ContextManager[Any]]:
        if id in SABOTAGES or id == BASELINE:
            raise ValueError(f"sabotage {id} is registered twice")
        SABOTAGES[id] = Sabotage(id=id, engine=engine, description=description, apply=fn,
                                 quick=quick)
        return fn

    return deco


def load_catalogues() -> dict[str, Sabotage]:
    """Import every catalogue module (registering its sabotages) and return the registry."""
    for name in CATALOGUES:
        importlib.import_module(f"theory_check.selftest.{name}")
    return SABOTAGES


@contextlib.contextmanager
def patch_everywhere(owner: Any, name: str, replacement: Any) -> Iterator[Any]:
    """Replace `owner.name` by `replacement`, and every copy bound by `from … import name`.

    `owner` is a module or a class. For a module, every loaded `theory_check` module whose
    attribute is the *same object* as `owner.name` is rebound too, so a sabotage reaches the
    code that imported the function by name. Everything is restored on exit. Yields the original.
    """
    original = getattr(owner, name)
    bound: list[tuple[Any, str]] = [(owner, name)]
    if isinstance(owner, type(sys)):
        for mod_name, mod in list(sys.modules.items()):
            if mod is None or mod is owner or not mod_name.startswith("theory_check"):
                continue
            for attr, value in list(vars(mod).items()):
                if value is original:
                    bound.append((mod, attr))
    try:
        for obj, attr in bound:
            setattr(obj, attr, replacement)
        yield original
    finally:
        for obj, attr in bound:
            setattr(obj, attr, original)


@contextlib.contextmanager
def patch_many(*patches: ContextManager[Any]) -> Iterator[None]:
    """Enter several patches as one sabotage."""
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        yield


@dataclass(frozen=True)
class Cell(NotebookRepr):
    """One claim run under one sabotage: its verdict and whether the sabotage was noticed.

    `noticed` is True when the verdict differs from the claim's expected one and nothing crashed;
    `crashed` when an exception escaped `verify` or the run exceeded the time limit.
    """

    sabotage: str
    claim: str
    engine: str
    status: str
    reason: str
    noticed: bool
    crashed: bool
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return jsonable(self.__dict__)


@dataclass(frozen=True)
class Report(NotebookRepr):
    """The sabotage × claim matrix, the (engine, claim) coverage and the overall verdict."""

    cells: tuple[Cell, ...]
    claims: tuple[str, ...]
    engines_of: Mapping[str, tuple[str, ...]] = field(repr=False)
    mode: str = "quick"
    seed: int = 0

    def cell(self, sabotage_id: str, claim_id: str) -> Cell | None:
        return next((c for c in self.cells if c.sabotage == sabotage_id and c.claim == claim_id),
                    None)

    @property
    def baseline_ok(self) -> dict[str, bool]:
        """Claim → as expected without any sabotage (False also when its baseline crashed)."""
        out = {}
        for cid in self.claims:
            c = self.cell(BASELINE, cid)
            out[cid] = c is not None and not c.noticed and not c.crashed
        return out

    @property
    def coverage(self) -> dict[tuple[str, str], list[str]]:
        """(engine, claim) → the sabotages of that engine the claim noticed (empty: a gap)."""
        cov: dict[tuple[str, str], list[str]] = {}
        for cid in self.claims:
            for eng in self.engines_of[cid]:
                cov[(eng, cid)] = [c.sabotage for c in self.cells if c.claim == cid
                                   and c.engine == eng and c.noticed]
        return cov

    @property
    def gaps(self) -> list[tuple[str, str]]:
        """(engine, claim) pairs with no noticed sabotage."""
        return [k for k, v in self.coverage.items() if not v]

    @property
    def crashes(self) -> list[Cell]:
        return [c for c in self.cells if c.crashed]

    @property
    def ok(self) -> bool:
        """Baselines as expected, every (engine, claim) pair noticed, nothing crashed."""
        return all(self.baseline_ok.values()) and not self.gaps and not self.crashes

    def to_json(self) -> dict[str, Any]:
        return jsonable({
            "ok": self.ok, "mode": self.mode, "seed": self.seed, "claims": self.claims,
            "engines_of": self.engines_of, "baseline_ok": self.baseline_ok,
            "coverage": {f"{e}/{c}": v for (e, c), v in self.coverage.items()},
            "gaps": [f"{e}/{c}" for e, c in self.gaps],
            "crashes": [f"{c.sabotage}/{c.claim}" for c in self.crashes],
            "cells": [c.to_json() for c in self.cells],
        })


def _run_cell(sabotage_id: str, claim_id: str, seed: int, thorough: bool) -> dict[str, Any]:
    """Run one claim under one sabotage in this process (called in a forked child)."""
    from theory_check import claims

    c = claims.get(claim_id)
    t0 = time.perf_counter()
    try:
        ctx = (contextlib.nullcontext() if sabotage_id == BASELINE
               else SABOTAGES[sabotage_id].apply())
        with ctx:
            r = c.verify(seed=seed, thorough=thorough)
        return {"status": r.status.value, "reason": r.reason, "crashed": False,
                "noticed": not r.as_expected, "seconds": time.perf_counter() - t0}
    except Exception as exc:  # a crash is what the self-test exists to find: record it
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"status": "CRASH", "reason": f"exception escaped verify: {tb}", "crashed": True,
                "noticed": False, "seconds": time.perf_counter() - t0}


def _child(conn: Any, args: tuple[str, str, int, bool]) -> None:
    # Silence the child's own progress bars and warnings: the parent reports.
    sys.stderr = open(os.devnull, "w")
    try:
        conn.send(_run_cell(*args))
    finally:
        conn.close()


def plan(claim_ids: Sequence[str] | None = None, sabotage_ids: Sequence[str] | None = None,
         *, full: bool = False) -> list[tuple[str, str]]:
    """The (sabotage, claim) cells to run: the baseline of each claim, then every selected
    sabotage against every selected claim that depends on its engine."""
    from theory_check import claims

    load_catalogues()
    cl = [claims.get(i) for i in claim_ids] if claim_ids else claims.all_claims()
    if sabotage_ids:
        unknown = sorted(set(sabotage_ids) - set(SABOTAGES))
        if unknown:
            raise ValueError(f"unknown sabotage(s) {unknown}; see `theory-check selftest --list`")
        sabs = [SABOTAGES[s] for s in sabotage_ids]
    else:
        sabs = [s for s in SABOTAGES.values() if full or s.quick]
    cells = [(BASELINE, c.id) for c in cl]
    cells += [(s.id, c.id) for s in sabs for c in cl if s.engine in c.engines]
    return cells


def run(claim_ids: Sequence[str] | None = None, sabotage_ids: Sequence[str] | None = None, *,
        full: bool = False, thorough: bool = False, seed: int = 0, jobs: int = 1,
        timeout: float = 300.0, out: Path | None = None,
        progress: Callable[[int, int, Cell], None] | None = None) -> Report:
    """Run the sabotage × claim matrix and return the `Report`.

    Each cell runs in a fresh forked process (a sabotage can never leak into the next cell, nor
    into caches), `jobs` at a time; a cell still running after `timeout` seconds is killed and
    counts as a crash. With `out`, each finished cell is appended to that JSON-lines file as it
    ends, and cells already there (same seed and mode) are not run again: an interrupted
    self-test resumes.
    """
    from theory_check import claims
    from theory_check._validate import check_int, check_real

    jobs = check_int("jobs", jobs, minimum=1, maximum=64)
    timeout = check_real("timeout", timeout, minimum=1.0)
    cells = plan(claim_ids, sabotage_ids, full=full)
    mode = ("full" if full else "quick") + ("-thorough" if thorough else "")
    claim_list = tuple(dict.fromkeys(c for _, c in cells))
    engines_of = {cid: claims.get(cid).engines for cid in claim_list}
    done: dict[tuple[str, str], Cell] = {}
    if out is not None and out.exists():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("seed") == seed and rec.get("mode") == mode:
                cell = Cell(**{k: rec[k] for k in Cell.__dataclass_fields__})
                done[(cell.sabotage, cell.claim)] = cell

    def engine_of(sab: str) -> str:
        return "none" if sab == BASELINE else SABOTAGES[sab].engine

    def finish(key: tuple[str, str], res: dict[str, Any]) -> None:
        cell = Cell(sabotage=key[0], claim=key[1], engine=engine_of(key[0]), **res)
        done[key] = cell
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("a") as fh:
                fh.write(json.dumps({**cell.to_json(), "seed": seed, "mode": mode}) + "\n")
        if progress is not None:
            progress(len(done), len(cells), cell)

    todo = [k for k in cells if k not in done]
    ctx = mp.get_context("fork")
    running: dict[tuple[str, str], tuple[Any, Any, float]] = {}
    try:
        while todo or running:
            while todo and len(running) < jobs:
                key = todo.pop(0)
                parent, child = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_child, args=(child, (*key, seed, thorough)), daemon=True)
                p.start()
                child.close()
                running[key] = (p, parent, time.perf_counter())
            time.sleep(0.05)
            for key, (p, conn, t0) in list(running.items()):
                elapsed = time.perf_counter() - t0
                if conn.poll():
                    try:
                        res = conn.recv()
                    except EOFError:
                        res = None
                    p.join()
                elif not p.is_alive():
                    res = None
                elif elapsed > timeout:
                    p.kill()
                    p.join()
                    res = {"status": "CRASH", "reason": f"timed out after {timeout:g} s",
                           "crashed": True, "noticed": False, "seconds": elapsed}
                else:
                    continue
                if res is None:
                    res = {"status": "CRASH", "crashed": True, "noticed": False,
                           "reason": f"process died with exit code {p.exitcode}", "seconds": elapsed}
                conn.close()
                del running[key]
                finish(key, res)
    finally:
        for p, conn, _ in running.values():
            p.kill()
            conn.close()
    ordered = tuple(done[k] for k in cells)
    return Report(cells=ordered, claims=claim_list, engines_of=engines_of, mode=mode, seed=seed)


def matrix_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    """The matrix as text: header (sabotage, engine, claims…) and one row per sabotage.

    Cells: "noticed" (the verdict moved), "·" (not noticed), "CRASH", "" (not dependent).
    """
    header = ["sabotage", "engine", *report.claims]
    sabs = list(dict.fromkeys(c.sabotage for c in report.cells))
    rows = []
    for s in sabs:
        row = [s, "—" if s == BASELINE else SABOTAGES[s].engine]
        for cid in report.claims:
            c = report.cell(s, cid)
            if c is None:
                row.append("")
            elif c.crashed:
                row.append("CRASH")
            elif s == BASELINE:
                row.append(c.status if not c.noticed else f"{c.status}!")
            else:
                row.append(c.status if c.noticed else "·")
        rows.append(row)
    return header, rows


def to_markdown(report: Report) -> str:
    """The report as a Markdown document: verdict, matrix, coverage, crashes, legend."""
    header, rows = matrix_rows(report)
    lines = [
        "# Self-test by sabotage",
        "",
        f"Generated by `theory-check selftest --markdown FILE` ({report.mode} catalogue, seed "
        f"{report.seed}); do not edit by hand. `theory-check selftest --list` shows the catalogue, "
        "`--full` runs all of it.",
        "",
        f"Self-test ({report.mode}, seed {report.seed}): "
        + ("**every (engine, claim) pair noticed, nothing crashed**" if report.ok
           else f"**{len(report.gaps)} gap(s), {len(report.crashes)} crash(es)**"),
        "",
        "Each row patches one engine to be wrong; each column is a claim run under it. A cell "
        "shows the claim's verdict when the sabotage moved it away from the expected one "
        "(noticed), `·` when the verdict stayed as expected (not noticed), blank when the claim "
        "does not rest on that engine. The baseline row is the verdict without sabotage.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "## Coverage: which sabotages each claim notices", "",
              "| claim | engine | noticed |", "|---|---|---|"]
    for (eng, cid), sabs in report.coverage.items():
        lines.append(f"| {cid} | {eng} | {', '.join(sabs) if sabs else '**none (gap)**'} |")
    lines += ["", "## The sabotages", "", "| id | engine | what it breaks |", "|---|---|---|"]
    used = dict.fromkeys(c.sabotage for c in report.cells if c.sabotage != BASELINE)
    for s in used:
        sab = SABOTAGES[s]
        lines.append(f"| {s} | {sab.engine} | {sab.description} |")
    if report.crashes:
        lines += ["", "## Crashes", ""]
        lines += [f"- {c.sabotage} × {c.claim}: {c.reason}" for c in report.crashes]
    return "\n".join(lines) + "\n"


def catalogue(ids: Iterable[str] | None = None) -> list[Sabotage]:
    """The registered sabotages (all catalogues loaded), optionally only `ids`."""
    load_catalogues()
    return [SABOTAGES[i] for i in ids] if ids else list(SABOTAGES.values())
