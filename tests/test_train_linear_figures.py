"""Quick-mode figures F1–F4 of the training experiments: files, data, and what they must show."""

import json

import numpy as np

from theory_check import figures


def test_quick_figures_render_with_finite_data(tmp_path):
    out = figures.render(["F1", "F2", "F3", "F4"], out=tmp_path, quick=True, seed=0)
    assert [r.id for r in out] == ["F1", "F2", "F3", "F4"]
    for r in out:
        assert (tmp_path / f"{r.id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / f"{r.id}.pdf").read_bytes()[:5] == b"%PDF-"
        prov = json.loads((tmp_path / f"{r.id}.provenance.json").read_text())
        assert prov["params"]["quick"] is True
    f1 = json.loads((tmp_path / "F1.data.json").read_text())
    med = np.array(f1["E_rel_median[0.9_-0.5_k5]"], dtype=float)
    assert np.all(np.isfinite(med))
    # The phenomenon itself: small σ extrapolates far better than σ = 1.
    assert med[0] < 1e-4 and med[-1] > 1e-1
    f3 = json.loads((tmp_path / "F3.data.json").read_text())
    w, small = np.array(f3["teacher"]), np.array(f3["student_small"])
    assert np.all(np.isfinite(small)) and np.max(np.abs(small - w)) < 1e-4
    f4 = json.loads((tmp_path / "F4.data.json").read_text())
    final = [f4[f"B_minus_Ct_rel[sigma={s:g}]"][-1] for s in (1e-4, 1e-3, 1e-2, 1e-1)]
    assert np.all(np.diff(final) > 0)
    f2 = json.loads((tmp_path / "F2.data.json").read_text())
    np.testing.assert_allclose(sorted(f2["small_atoms_real"]), [-0.5, 0.9], atol=1e-3)
