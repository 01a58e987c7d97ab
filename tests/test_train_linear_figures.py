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
    # One row per run; "fitted" is exactly the stated criterion L_k <= 1e-12.
    loss, fitted = np.array(f1["train_loss"], dtype=float), np.array(f1["fitted"])
    assert loss.size == len(f1["E_rel"]) == len(f1["init_scale"]) > 0
    np.testing.assert_array_equal(fitted, loss <= 1e-12)
    err, sigma = np.array(f1["E_rel"], dtype=float), np.array(f1["init_scale"])
    sel = (np.array(f1["teacher"]) == "0.9/-0.5") & (np.array(f1["k"]) == 5) & fitted
    # The phenomenon itself, among fitted runs: small σ extrapolates far better than σ = 1.
    assert np.median(err[sel & (sigma == sigma.min())]) < 1e-4
    assert np.median(err[sel & (sigma == sigma.max())]) > 1e-1
    f3 = json.loads((tmp_path / "F3.data.json").read_text())
    w, small, large = (np.array(f3[k]) for k in ("teacher", "student_small", "student_large"))
    assert np.all(np.isfinite(small)) and np.max(np.abs(small - w)) < 1e-4
    # Quick F3 shows what the full one shows: the large-init student fits j < k, then departs.
    k = json.loads((tmp_path / "F3.provenance.json").read_text())["params"]["k"]
    assert np.max(np.abs(large[:k] - w[:k])) < 1e-4 and np.max(np.abs(large - w)) > 1.0
    f4 = json.loads((tmp_path / "F4.data.json").read_text())
    final = [f4[f"B_minus_Ct_rel[sigma={s:g}]"][-1] for s in (1e-4, 1e-3, 1e-2, 1e-1)]
    assert np.all(np.diff(final) > 0)
    f2 = json.loads((tmp_path / "F2.data.json").read_text())
    np.testing.assert_allclose(sorted(f2["small_atoms_real"]), [-0.5, 0.9], atol=1e-3)
