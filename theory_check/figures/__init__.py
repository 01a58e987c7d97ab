"""Proof figures F1–F9: a registry, and `render` that writes PNG, PDF, data and provenance.

A figure is one function decorated with `@figure("F<n>", title=..., claims=(...))` that takes a
`FigureContext` (quick mode, seed) and returns a `FigureOutput` (the matplotlib figure, the
data behind it, the parameters used). `render` saves, for each figure id, `<id>.png`,
`<id>.pdf`, `<id>.data.json` (and `<id>.csv` when the data columns have equal length) and
`<id>.provenance.json`. Figure modules are listed in `_MODULES` and imported on first use.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theory_check.figures._style import save_figure

__all__ = ["FIGURES", "Figure", "FigureContext", "FigureOutput", "all_figures", "figure", "render"]

# Engine figure modules, imported lazily so that `import theory_check` stays light.
_MODULES: tuple[str, ...] = ("theory_check.figures.symbolic", "theory_check.figures.train",
                             "theory_check.figures.moments", "theory_check.figures.flow",
                             "theory_check.figures.nonlinear", "theory_check.figures.beyond")


@dataclass(frozen=True)
class FigureContext:
    """How to make a figure: `quick` (small sizes, for tests: < 1 min in all), the seed, and a
    `workdir` where long figures keep intermediate results so that a rerun resumes (None: a
    temporary directory, nothing kept)."""

    quick: bool = False
    seed: int = 0
    workdir: Path | None = None


@dataclass(frozen=True)
class FigureOutput:
    """A drawn figure, the data behind it (name → 1-D array/list) and the parameters used."""

    fig: Any
    data: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """A registered figure: id, title, the claims it illustrates, and the function drawing it."""

    id: str
    title: str
    claims: tuple[str, ...]
    make: Callable[[FigureContext], FigureOutput]


@dataclass(frozen=True)
class RenderedFigure:
    """Files written for one figure and how long it took."""

    id: str
    files: tuple[Path, ...]
    seconds: float


FIGURES: dict[str, Figure] = {}


def figure(id: str, *, title: str, claims: Iterable[str] = ()) -> Callable:
    """Register the decorated `make(ctx) -> FigureOutput` as figure `id` (F<n>)."""
    if not re.fullmatch(r"F\d+", id):
        raise ValueError(f"figure id must look like F<n>; got {id!r}")

    def deco(fn: Callable[[FigureContext], FigureOutput]) -> Callable:
        if id in FIGURES:
            raise ValueError(f"figure {id} is registered twice")
        FIGURES[id] = Figure(id, title, tuple(claims), fn)
        return fn

    return deco


def _load() -> None:
    for mod in _MODULES:
        importlib.import_module(mod)


def all_figures() -> list[Figure]:
    """Every registered figure, in numeric order."""
    _load()
    return [FIGURES[i] for i in sorted(FIGURES, key=lambda s: int(s[1:]))]


def get(fig_id: str) -> Figure:
    """The figure with this id, or ValueError listing the valid ids."""
    _load()
    key = fig_id.strip().upper()
    if key not in FIGURES:
        valid = ", ".join(f.id for f in all_figures()) or "(none registered)"
        raise ValueError(f"unknown figure id {fig_id!r}; valid ids: {valid}")
    return FIGURES[key]


def render(
    ids: Iterable[str] | None = None, *, out: Path | str = Path("proofs/figures"),
    quick: bool = False, seed: int = 0,
    on_done: Callable[[RenderedFigure], None] | None = None,
) -> list[RenderedFigure]:
    """Draw and save the named figures (all if None) into `out`; returns what was written."""
    import time

    import matplotlib.pyplot as plt

    figs = [get(i) for i in ids] if ids else all_figures()
    out = Path(out)
    results = []
    for f in figs:
        t0 = time.perf_counter()
        # Sweep results are kept under out/.work, keyed by their config, for resuming.
        workdir = out / ".work" / ("quick" if quick else "full")
        result = f.make(FigureContext(quick=quick, seed=seed, workdir=workdir))
        files = save_figure(result.fig, out, f.id, data=result.data,
                            params={**result.params, "title": f.title, "claims": f.claims,
                                    "quick": quick, "seed": seed})
        plt.close(result.fig)
        rendered = RenderedFigure(f.id, tuple(files), time.perf_counter() - t0)
        results.append(rendered)
        if on_done is not None:
            on_done(rendered)
    return results
