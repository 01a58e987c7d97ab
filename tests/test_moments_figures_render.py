"""F6 and F7 in quick mode: files written, data consistent with the engine's exact answers."""

import json

import numpy as np

from theory_check import figures


def test_f6_quick_renders_exact_widths(tmp_path) -> None:
    (r,) = figures.render(["F6"], out=tmp_path, quick=True, seed=0)
    assert {"F6.png", "F6.pdf", "F6.data.json"} <= {p.name for p in r.files}
    data = json.loads((tmp_path / "F6.data.json").read_text())
    # interior teachers with d̂ atoms: identified exactly from k = 2d̂ + 1 on (C6)
    for d in (1, 2, 3):
        col = data[f"interior_dhat{d}_log10_width"]
        ks = data["k"]
        assert all((v == "identified") is (k >= 2 * d + 1) for k, v in zip(ks, col, strict=True))
        # one atom at λ̂ = 1 counts half: identified from k = 2d̂
        colb = data[f"boundary_dhat{d}_log10_width"]
        assert all((v == "identified") is (k >= 2 * d) for k, v in zip(ks, colb, strict=True))


def test_f7_quick_renders_certified_horizons(tmp_path) -> None:
    figures.render(["F7"], out=tmp_path, quick=True, seed=0)
    assert (tmp_path / "F7.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "F7.data.json").read_text())
    for i in range(4):
        c = np.asarray(data[f"horizon_{i}_constant"], dtype=float)
        ok = np.asarray(data[f"horizon_{i}_certified"], dtype=bool)
        assert ok.all() and np.all(np.isfinite(c)) and np.all(np.diff(c) >= 0)  # a running max
    # slopes in ε near 1/2 (α = 1 in δ = √ε) for every d̂, far above the Wu–Yang-route 1/(4d̂)
    for d in (1, 2, 3):
        assert 0.35 < data[f"dhat{d}_slope"][0] < 0.6
