"""Figures that train many students run them through the sweep engine, resumably."""

from __future__ import annotations

import concurrent.futures as cf
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from theory_check.figures import FigureContext


def sweep_records(raw: Mapping[str, Any], ctx: FigureContext, name: str) -> list[dict[str, Any]]:
    """Run the sweep `raw` ({teacher, grid} as in a sweep TOML) and return its JSON records.

    Quick mode runs in this process (one thread: no pool to start for a few seconds of work);
    otherwise a local process pool. With `ctx.workdir` the JSON lines are kept there under the
    sweep's fingerprint, so an interrupted `theory-check figures` resumes where it stopped.
    """
    from theory_check.sweep import parse_config, run_sweep

    config = parse_config(raw, source=name)

    def run(out: Path) -> list[dict[str, Any]]:
        if ctx.quick:
            with cf.ThreadPoolExecutor(1) as ex:
                summary = run_sweep(config, out, executor=ex, progress=False)
        else:
            summary = run_sweep(config, out, scheduler="local")
        if summary.failed:
            raise RuntimeError(f"{name}: {len(summary.failed)} sweep task(s) failed, e.g. "
                               f"{summary.failed[0][1]}; finished ones are kept in {out}")
        return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]

    if ctx.workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run(Path(tmp) / f"{name}.jsonl")
    Path(ctx.workdir).mkdir(parents=True, exist_ok=True)
    return run(Path(ctx.workdir) / f"{name}-{config.fingerprint}.jsonl")
