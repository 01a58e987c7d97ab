"""House style for proof figures and the writer that saves them with their data and provenance."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows

import matplotlib.pyplot as plt
import numpy as np

from theory_check.provenance import provenance
from theory_check.results import jsonable

# Okabe–Ito: distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RC = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 9,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.grid": True, "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE), "lines.linewidth": 1.6,
    "savefig.bbox": "tight", "figure.dpi": 100, "legend.framealpha": 0.85,
    "pdf.fonttype": 42,  # editable text in the PDF
    # One font family for text and math: mathtext in DejaVu Sans, like the labels around it.
    "mathtext.fontset": "dejavusans", "axes.formatter.use_mathtext": True,
}


def num(x: float, digits: int = 2) -> str:
    """A number as mathtext, in the one format of every figure: `digits` significant digits,
    powers of ten as $10^{n}$, other numbers outside [1, 10) as $m\\times10^{n}$ (1e-3 →
    $10^{-3}$, 3e-4 → $3\\times10^{-4}$, 0.3 → $3\\times10^{-1}$, 2 → $2$), so that a legend of
    log-spaced values and the log axis beside it read alike."""
    x = float(x)
    if x == 0 or not np.isfinite(x):
        return f"${x:g}$"
    sign = "-" if x < 0 else ""
    mant, exp = f"{abs(x):.{digits - 1}e}".split("e")
    e, m = int(exp), mant.rstrip("0").rstrip(".")
    if e == 0:
        return f"${sign}{m}$"
    return f"${sign}10^{{{e}}}$" if m == "1" else f"${sign}{m}\\times10^{{{e}}}$"


def atoms_label(atoms, hat: bool = True) -> str:
    """Teacher atoms as mathtext: $\\hat\\lambda = \\{0.9, -0.5\\}$."""
    body = ", ".join(f"{float(a):g}" for a in atoms)
    return (r"$\hat\lambda = \{" if hat else r"$\lambda = \{") + body + r"\}$"


def subplots(nrows: int = 1, ncols: int = 1, *, width: float = 5.0, height: float = 3.6,
             **kw: Any):
    """`plt.subplots` in the house style, each panel `width`×`height` inches."""
    with plt.rc_context(RC):
        return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                            layout="constrained", **kw)


def styled(fn):
    """Decorator: run a figure function under the house rcParams."""
    def wrapper(*args, **kwargs):
        with plt.rc_context(RC):
            return fn(*args, **kwargs)
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


def save_figure(fig, out: Path, fid: str, *, data: Mapping[str, Any],
                params: Mapping[str, Any]) -> list[Path]:
    """Write `<fid>.png` (150 dpi), `<fid>.pdf`, `<fid>.data.json`, `<fid>.csv` (if the data
    columns are 1-D of equal length) and `<fid>.provenance.json`; provenance also goes into the
    PNG and PDF metadata. Raises ValueError if `out` cannot be written."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".{fid}.write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"cannot write figures to {out}: {exc.strerror or exc}") from None
    prov = jsonable(provenance(figure=fid, params=dict(params)))
    summary = json.dumps({"figure": fid, "seed": params.get("seed"),
                          "versions": prov["versions"]})
    paths = [out / f"{fid}.png", out / f"{fid}.pdf", out / f"{fid}.data.json",
             out / f"{fid}.provenance.json"]
    fig.savefig(paths[0], dpi=150, metadata={"Description": summary, "Software": "theory-check"})
    fig.savefig(paths[1], metadata={"Subject": summary, "Creator": "theory-check"})
    clean = jsonable(dict(data))
    paths[2].write_text(json.dumps(clean, indent=1))
    paths[3].write_text(json.dumps(prov, indent=2))
    cols = {k: np.asarray(v) for k, v in data.items()}
    lengths = {v.shape for v in cols.values()}
    if cols and len(lengths) == 1 and next(iter(lengths)) != () and len(next(iter(lengths))) == 1:
        csv_path = out / f"{fid}.csv"
        with csv_path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            w.writerows(zip(*(jsonable(v) for v in cols.values()), strict=True))
        paths.append(csv_path)
    return paths
