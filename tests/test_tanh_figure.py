"""Figure F8 in quick mode: files written, valid PNG/PDF, finite data, provenance recorded."""

import json

import numpy as np

from theory_check import figures


def test_f8_quick_writes_png_pdf_and_finite_data(tmp_path) -> None:
    (rendered,) = figures.render(["F8"], out=tmp_path, quick=True)
    names = {p.name for p in rendered.files}
    assert {"F8.png", "F8.pdf", "F8.data.json", "F8.provenance.json"} <= names
    assert (tmp_path / "F8.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "F8.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "F8.png").stat().st_size > 20_000
    data = json.loads((tmp_path / "F8.data.json").read_text())
    for key in ("rel_error_q", "train_loss_rel", "participation_ratio", "init_scale"):
        vals = np.array(data[key], dtype=float)
        assert vals.size >= 3 and np.all(np.isfinite(vals))
    spectra = [k for k in data if k.startswith("sv_rel_sigma_")]
    assert len(spectra) == 2
    for k in spectra:
        sv = np.array(data[k], dtype=float)
        assert sv[0] == 1.0 and np.all(np.diff(sv) <= 1e-12)
    prov = json.loads((tmp_path / "F8.provenance.json").read_text())
    assert prov["params"]["claims"] == ["C10"] and "numpy" in prov["versions"]
