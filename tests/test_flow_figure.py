"""Figure F5 in quick mode: files written, data finite, the GD panel shows the O(η) slope."""

import json

import numpy as np

from theory_check import figures


def test_f5_quick_renders_with_finite_data(tmp_path) -> None:
    (r,) = figures.render(["F5"], out=tmp_path, quick=True, seed=0)
    names = {p.name for p in r.files}
    assert {"F5.png", "F5.pdf", "F5.data.json", "F5.provenance.json"} <= names
    assert (tmp_path / "F5.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "F5.data.json").read_text())
    for key, col in data.items():
        assert np.all(np.isfinite(np.asarray(col, dtype=float))), key
    slope = np.polyfit(np.log(data["gd_eta"]), np.log(data["gd_drift_at_T"]), 1)[0]
    assert abs(slope - 1.0) <= 0.1
    # Taylor at the higher dps sits far below DOP853's float64 floor
    assert max(data["taylor_dps40_drift"]) < 1e-30 < max(data["dop853_drift"])
    # GD is recorded at every step, so panel (b) resolves the fast phase where the drift accrues.
    for eta in (0.04, 0.02, 0.01):
        t = np.asarray(data[f"gd_eta{eta:g}_t"], dtype=float)
        np.testing.assert_allclose(np.diff(t), eta, rtol=1e-9)
        drift = np.asarray(data[f"gd_eta{eta:g}_drift"], dtype=float)
        assert drift[0] == 0 and drift[-1] == data["gd_drift_at_T"][data["gd_eta"].index(eta)]
