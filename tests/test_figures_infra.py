"""The figure registry and writer: files, metadata, data, provenance, and CLI errors."""

import json

import numpy as np
import pytest

from theory_check import figures
from theory_check.cli import main
from theory_check.figures import FigureContext, FigureOutput, _style


@pytest.fixture
def toy_figure():
    @figures.figure("F99", title="toy", claims=("C5",))
    def _toy(ctx: FigureContext) -> FigureOutput:
        fig, ax = _style.subplots()
        x = np.linspace(0, 1, 11 if ctx.quick else 101)
        ax.plot(x, x**2, label="x²")
        ax.set_xlabel("x")
        ax.legend()
        return FigureOutput(fig, {"x": x, "y": x**2}, {"n": x.size})

    yield "F99"
    figures.FIGURES.pop("F99")


def test_render_writes_png_pdf_data_and_provenance(tmp_path, toy_figure) -> None:
    (r,) = figures.render([toy_figure], out=tmp_path, quick=True, seed=4)
    names = sorted(p.name for p in r.files)
    assert names == ["F99.csv", "F99.data.json", "F99.pdf", "F99.png", "F99.provenance.json"]
    assert (tmp_path / "F99.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "F99.pdf").read_bytes()[:5] == b"%PDF-"
    data = json.loads((tmp_path / "F99.data.json").read_text())
    assert len(data["x"]) == 11 and np.all(np.isfinite(data["y"]))
    prov = json.loads((tmp_path / "F99.provenance.json").read_text())
    assert prov["params"]["seed"] == 4 and prov["params"]["quick"] is True
    assert "matplotlib" in prov["versions"]


def test_cli_unknown_figure_and_unwritable_dir_are_one_line_errors(tmp_path, toy_figure,
                                                                   capsys) -> None:
    assert main(["figures", "--only", "F0"]) == 2
    assert "valid ids" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["figures", "--only", "F99", "--quick", "--out", str(blocker / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot write figures" in err and len(err.splitlines()) == 1


def test_every_registered_figure_is_committed_and_every_image_link_resolves() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    figs = figures.all_figures()
    assert [f.id for f in figs] == [f"F{i}" for i in (*range(1, 10), 12, 13, 14)]
    for f in figs:
        png = root / "proofs" / "figures" / f"{f.id}.png"
        pdf = root / "proofs" / "figures" / f"{f.id}.pdf"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f.id
        assert pdf.read_bytes()[:5] == b"%PDF-", f.id
        # Width and height from the IHDR chunk: a real figure, not a placeholder.
        w, h = int.from_bytes(png.read_bytes()[16:20]), int.from_bytes(png.read_bytes()[20:24])
        assert w >= 600 and h >= 300, (f.id, w, h)
        assert f.claims, f"{f.id} illustrates no claim"
    for md in [root / "README.md", *sorted((root / "proofs").glob("*.md"))]:
        for target in re.findall(r'(?:\]\(|src=")([^)"]+\.(?:png|pdf|md))', md.read_text()):
            assert (md.parent / target).exists(), f"{md.name} links to missing {target}"


def test_sweep_backed_figure_keeps_its_runs_and_resumes(tmp_path) -> None:
    figures.render(["F1"], out=tmp_path, quick=True, seed=3)
    work = sorted((tmp_path / ".work" / "quick").glob("F1-*.jsonl"))
    assert work, "F1 must keep its sweep results for resuming"
    lines = {p: p.read_text() for p in work}
    # Drop the last finished task of one sweep, as if the first run had been killed there.
    victim = work[0]
    victim.write_text("".join(lines[victim].splitlines(keepends=True)[:-1]))
    figures.render(["F1"], out=tmp_path, quick=True, seed=3)
    assert sorted(work) == sorted((tmp_path / ".work" / "quick").glob("F1-*.jsonl"))
    assert len(victim.read_text().splitlines()) == len(lines[victim].splitlines())
    for p in work[1:]:
        assert p.read_text() == lines[p]  # finished sweeps were not run again
    data = json.loads((tmp_path / "F1.data.json").read_text())
    assert len(data["E_rel"]) == len(data["seed"]) and np.all(np.isfinite(data["E_rel"]))
