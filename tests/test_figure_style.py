"""House style of the proof figures: one number format, math in mathtext, distinct legend styles."""

import re

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.text import Text

from theory_check import figures
from theory_check.figures import FigureContext
from theory_check.figures._style import atoms_label, num

# Symbols that belong inside $...$: set as plain text they come out in another glyph style
# than the mathtext beside them (and `_`/`^` are not subscripts at all).
_MATH_ONLY = set("_^σληβθŵĝ‖ᵀ²⁴₀₁≤≫")


@pytest.mark.parametrize(("x", "text"), [
    (1e-5, "$10^{-5}$"), (3e-4, r"$3\times10^{-4}$"), (0.1, "$10^{-1}$"), (0.3, r"$3\times10^{-1}$"),
    (1.0, "$1$"), (2.0, "$2$"), (4.0, "$4$"), (0.005, r"$5\times10^{-3}$"), (2e4, r"$2\times10^{4}$"),
    (-0.5, r"$-5\times10^{-1}$"), (0.00123, r"$1.2\times10^{-3}$"),
])
def test_num_gives_one_format_for_every_magnitude(x, text) -> None:
    assert num(x) == text


def test_atoms_label_is_mathtext() -> None:
    assert atoms_label((0.9, -0.5)) == r"$\hat\lambda = \{0.9, -0.5\}$"


def _texts(fig) -> list[str]:
    texts = [t.get_text() for t in fig.findobj(Text)]
    for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        texts.append(leg.get_title().get_text())
    return [t for t in texts if t]


# Every figure of the figure modules except F6/F7 (theory_check.figures.moments).
@pytest.fixture(scope="module", params=["F1", "F2", "F3", "F4", "F5", "F8", "F9", "F12", "F13", "F14"])
def drawn(request):
    out = figures.get(request.param).make(FigureContext(quick=True, seed=0))
    yield request.param, out.fig
    plt.close(out.fig)


def test_math_symbols_are_set_in_mathtext(drawn) -> None:
    fid, fig = drawn
    texts = _texts(fig)
    assert len(texts) >= 8, fid
    for text in texts:
        outside = re.sub(r"\$[^$]*\$", "", text)
        assert outside.count("$") == 0, (fid, text)
        bad = _MATH_ONLY & set(outside)
        assert not bad, f"{fid}: {sorted(bad)} outside mathtext in {text!r}"


def test_panel_titles_are_distinct_and_lettered(drawn) -> None:
    fid, fig = drawn
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) >= 2, (fid, titles)
    assert [t[:4] for t in titles] == [f"({c}) " for c in "abc"[: len(titles)]], (fid, titles)
    bodies = [t[4:] for t in titles]  # the letter alone does not make a title distinct
    assert len(set(bodies)) == len(bodies), (fid, titles)


def test_legend_entries_have_distinct_styles(drawn) -> None:
    fid, fig = drawn
    for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        styles = []
        for h in leg.legend_handles:
            if isinstance(h, Line2D):
                styles.append((to_hex(h.get_color()), h.get_linestyle(), h.get_marker()))
        assert len(styles) == len(set(styles)), (fid, styles)
