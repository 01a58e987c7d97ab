"""Figures F6 and F7 in quick mode: files written, and the data show what C6 and C7 state."""

import json

import numpy as np
import pytest

from theory_check import figures


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("moments-figures")
    return out, figures.render(["F6", "F7"], out=out, quick=True, seed=0)


def test_f6_f7_quick_write_png_pdf_data_and_provenance(rendered) -> None:
    out, results = rendered
    assert [r.id for r in results] == ["F6", "F7"]
    for fid, claims in (("F6", ["C6", "N1"]), ("F7", ["C7"])):
        png = (out / f"{fid}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        # A drawn figure, not an empty canvas: width and height from the IHDR chunk.
        assert int.from_bytes(png[16:20]) >= 600 and int.from_bytes(png[20:24]) >= 300
        assert (out / f"{fid}.pdf").read_bytes()[:5] == b"%PDF-"
        prov = json.loads((out / f"{fid}.provenance.json").read_text())
        assert prov["params"]["quick"] is True and prov["params"]["claims"] == claims


def test_f6_identified_exactly_from_the_predicted_training_length(rendered) -> None:
    """C6: interior atoms are identified iff k >= 2d̂ + 1; one atom at λ̂ = 1 (index d̂ - 1/2)
    iff k >= 2d̂. Below the threshold the exact interval of m_k has positive width."""
    out, _ = rendered
    data = json.loads((out / "F6.data.json").read_text())
    ks = np.array(data["k"])
    dims = sorted({int(key.split("dhat")[1].split("_")[0]) for key in data if "dhat" in key})
    assert len(dims) >= 3
    for tag, threshold in (("interior", lambda d: 2 * d + 1), ("boundary", lambda d: 2 * d)):
        for d in dims:
            col = data[f"{tag}_dhat{d}_log10_width"]
            identified = np.array([v == "identified" for v in col])
            assert threshold(d) <= ks.max(), (tag, d)
            np.testing.assert_array_equal(identified, ks >= threshold(d), err_msg=f"{tag} d̂={d}")
            widths = np.array([v for v in col if v != "identified"], dtype=float)
            assert np.all(np.isfinite(widths)), (tag, d)


def test_f7_worst_case_shrinks_with_eps_faster_than_the_wu_yang_route(rendered) -> None:
    """C7: the exact worst case falls as ε falls, at a rate in ε well above the Wu–Yang route's
    ε^{1/(4d̂)}; at fixed δ it saturates in q for interior atoms and keeps growing for λ̂ = 1."""
    out, _ = rendered
    data = json.loads((out / "F7.data.json").read_text())
    eps = np.array(data["eps"])
    for d in (1, 2, 3):
        assert all(data[f"dhat{d}_certified"]), d
        vals = np.array(data[f"dhat{d}_worst_case"])
        assert np.all(vals > 0) and np.all(np.diff(vals) < 0) and np.all(np.diff(eps) < 0), d
        slope = data[f"dhat{d}_slope"][0]
        assert slope == pytest.approx(np.polyfit(np.log(eps), np.log(vals), 1)[0])
        assert slope > 1 / (4 * d) + 0.1, (d, slope)  # exponent of the route: 1/(4d̂)
    by_atoms = {tuple(data[f"horizon_{i}_atoms"]): i for i in range(4)}
    interior, boundary = by_atoms[("-1/2", "1/2")], by_atoms[("1",)]
    for i in (interior, boundary):
        assert all(data[f"horizon_{i}_certified"]), i
    c_int = np.array(data[f"horizon_{interior}_constant"])
    c_bnd = np.array(data[f"horizon_{boundary}_constant"])
    q3 = 3 * (c_int.size - 1) // 4
    assert np.all(np.diff(c_int) >= -1e-9) and np.all(np.diff(c_bnd) >= -1e-9)  # running maxima
    assert c_int[-1] / c_int[q3] - 1 < 0.02  # saturated
    assert c_bnd[-1] / c_bnd[q3] - 1 > 0.2  # still growing: memory that never fades
