"""User models and the built-in families in the symbolic engine: certified law counts, the
graded ansatz, the modular Lie census against the exact reference, and the `derive --model` CLI."""

import itertools
import json
import textwrap

import flint
import numpy as np
import pytest
import sympy

from theory_check.cli import main
from theory_check.symbolic import (
    ansatz_blocks,
    complex_diagonal_rnn,
    deep_linear,
    derive_model,
    discover_laws,
    is_conserved,
    lie_census,
    mimo_rnn,
    model,
    projected_rnn,
    rnn_system,
    sign_symmetries,
    witt_depth,
)


def _certified_count(m, seed=0):
    r = derive_model(m, seed=seed)
    assert r.laws.rechecked and all(is_conserved(m.system, q) for q in r.laws.laws)
    assert r.certified, (m.name, r.census)
    return r


@pytest.mark.parametrize(("d", "m", "p", "k", "count"), [
    (2, 1, 1, 3, 3),   # SISO: d(d+1)/2
    (2, 2, 2, 2, 3),
    (2, 2, 2, 3, 3),
    (3, 2, 1, 3, 6),
    (3, 1, 2, 3, 6),
    (3, 2, 2, 2, 6),
    (2, 2, 2, 1, 7),   # k = 1: A is static (d² laws) and C B a two-layer net (d(d+1)/2)
    (2, 1, 1, 1, 7),   # one output: D - 1
])
def test_mimo_rnn_has_d_d_plus_1_over_2_laws_for_k_at_least_2(d, m, p, k, count) -> None:
    r = _certified_count(mimo_rnn(d, m, p, k))
    assert r.n_laws == count == r.predicted and r.agrees
    assert r.laws.contains_expected
    if k >= 2:
        assert r.laws.matches_expected and r.laws.dim == d * (d + 1) // 2


@pytest.mark.parametrize(("d", "k", "count"), [(1, 1, 5), (1, 2, 1), (2, 2, 2), (2, 3, 2), (3, 3, 3),
                                               (4, 4, 4)])
def test_complex_diagonal_rnn_has_one_law_per_mode(d, k, count) -> None:
    m = complex_diagonal_rnn(d, k)
    r = _certified_count(m)
    assert r.n_laws == count == r.predicted
    if k >= 2:
        assert set(r.laws.strings) == {f"-p{i}**2 - q{i}**2 + u{i}**2 + v{i}**2" for i in range(1, d + 1)}


def test_complex_diagonal_outputs_are_the_real_part_in_the_documented_order() -> None:
    d, k = 2, 4
    m = complex_diagonal_rnn(d, k)
    assert m.names[:6] == ("x1", "y1", "u1", "v1", "p1", "q1") and m.n_params == 6 * d
    rng = np.random.default_rng(5)
    theta = rng.integers(-3, 4, size=6 * d)
    lam = theta[0::6] + 1j * theta[1::6]
    b = theta[2::6] + 1j * theta[3::6]
    c = theta[4::6] + 1j * theta[5::6]
    for j in range(k):
        want = np.real(np.sum(c * lam**j * b))
        assert int(m.system.g[j](*map(int, theta))) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize(("widths", "count"), [((2, 2, 2), 3), ((3, 2, 3), 3), ((2, 3, 2), 6),
                                               ((2, 4, 3), 10), ((2, 2, 2, 2), 6), ((3, 2, 2, 3), 6),
                                               ((2, 3, 2, 2), 9), ((1, 3, 1), 5)])
def test_deep_linear_laws_are_the_balancedness_of_each_hidden_layer(widths, count) -> None:
    r = _certified_count(deep_linear(widths))
    assert r.n_laws == count == r.predicted
    if widths[0] * widths[-1] > 1:  # several outputs: exactly the balancedness entries
        assert r.laws.matches_expected
        assert count == sum(w * (w + 1) // 2 for w in widths[1:-1])


@pytest.mark.parametrize(("d", "m", "p", "k", "count"), [(1, 1, 1, 3, 3), (2, 2, 2, 2, 9),
                                                         (2, 2, 2, 3, 9), (2, 1, 3, 4, 10)])
def test_projected_rnn_adds_one_balancedness_per_projection(d, m, p, k, count) -> None:
    r = _certified_count(projected_rnn(d, m, p, k))
    assert r.n_laws == count == d * (d + 1) // 2 + m * (m + 1) // 2 + p * (p + 1) // 2
    assert r.laws.matches_expected


def test_user_model_from_a_function_of_matrices_equals_the_builtin_two_layer_net() -> None:
    user = model({"W1": (3, 2), "W2": (2, 3)}, lambda W1, W2: W2 * W1, name="mine")
    assert user.names[:2] == ("W1_11", "W1_12") and user.n_outputs == 4
    built = deep_linear((2, 3, 2))
    r_user, r_built = derive_model(user), derive_model(built)
    assert r_user.certified and r_user.n_laws == r_built.n_laws == 6
    assert r_user.predicted is None and r_user.agrees is None


def test_user_model_with_rational_coefficients_and_a_known_law() -> None:
    x, y, z = sympy.symbols("x y z")
    # φ = x y / 2: the rescaling x → s x, y → y / s leaves it alone, so x² - y² is conserved; z never moves.
    m = model([x, y, z], [x * y / 2], expected_laws=[x**2 - y**2])
    r = derive_model(m)
    assert r.laws.contains_expected and "x**2 - y**2" in r.laws.strings and "z" in r.laws.strings
    assert r.certified and r.n_laws == 2  # one output: D - 1
    assert any("(x*y)/2" in e or "x*y/2" in e for e in r.equations())


def test_degree_three_ansatz_finds_a_cubic_law() -> None:
    # φ = x y z: the rescalings give x² - y², y² - z²; no cubic law exists (products of laws
    # are quartic), so the degree-3 ansatz must find exactly the same two.
    x, y, z = sympy.symbols("x y z")
    m = model([x, y, z], [x * y * z, (x * y * z) ** 2])
    r2, r3 = derive_model(m, degree=2), derive_model(m, degree=3)
    assert r2.laws.dim == 2 and r3.laws.dim == 2 and r3.laws.degree == 3
    assert r3.certified and r3.n_laws == 2
    # φ = x + y: every function of x - y is conserved, so degree ≤ 3 gives x - y, (x - y)², (x - y)³.
    m2 = model([x, y], [x + y])
    r = derive_model(m2, degree=3)
    assert "x**3 - 3*x**2*y + 3*x*y**2 - y**3" in r.laws.strings and r.laws.dim == 3


@pytest.mark.parametrize(("params", "outputs", "message"), [
    ("x", [1], "params must be"),
    ({"W": (2, 2, 2)}, lambda W: W, "params\\['W'\\] must be"),
    (sympy.symbols("x y"), [sympy.exp(sympy.Symbol("x"))], "outputs\\[0\\] must be a polynomial"),
    (sympy.symbols("x y"), [sympy.Symbol("t") * sympy.Symbol("x")], "not parameters: t"),
    (sympy.symbols("x y"), [sympy.sqrt(2) * sympy.Symbol("x")], "rational coefficients"),
    ({"W": (2, 2)}, lambda V: V, "outputs: calling"),
])
def test_bad_user_models_raise_value_errors_naming_the_argument(params, outputs, message) -> None:
    with pytest.raises(ValueError, match=message):
        model(params, outputs)


def test_sign_symmetries_and_blocks_partition_the_ansatz() -> None:
    s = rnn_system("full", 3, 3)
    syms = sign_symmetries(s)
    assert len(syms) == 3  # state signatures S = diag(±1): A → SAS, B → SB, C → CS
    blocks = ansatz_blocks(s)
    D = s.n_vars
    assert sorted(u for b in blocks for u in b) == list(range(D * (D + 1) // 2 + D))
    assert max(len(b) for b in blocks) < D * (D + 1) // 4
    # Each generator s: every field satisfies F_j(sθ) = s F_j(θ) at a random point.
    rng = np.random.default_rng(0)
    theta = [int(v) for v in rng.integers(-5, 6, size=D)]
    for sv in syms:
        sgn = [(-1) ** b for b in sv]
        flipped = [t * g for t, g in zip(theta, sgn)]
        for f in s.fields:
            assert [int(c(*flipped)) for c in f] == [g * int(c(*theta)) for c, g in zip(f, sgn)]


@pytest.mark.parametrize("case", [("full", 3, 3), ("diagonal", 4, 2), ("balanced", 3, 3)])
def test_jet_census_equals_the_exact_expanded_reference(case) -> None:
    s = rnn_system(*case)
    laws = discover_laws(s, np.random.default_rng(0)).laws
    fast = lie_census(s, np.random.default_rng(4), laws=laws)
    slow = lie_census(s, np.random.default_rng(4), laws=laws, expand_all=True)
    assert fast.point == slow.point and fast.lie_dim == slow.lie_dim and fast.certified


def test_witt_depth_is_the_free_lie_algebra_bound() -> None:
    # Free Lie algebra on 3 generators: dims 3, 3, 8, 18, 48 by degree.
    assert [witt_depth(3, t) for t in (3, 4, 6, 7, 14, 15, 32, 33)] == [1, 2, 2, 3, 3, 4, 4, 5]
    assert witt_depth(1, 10) == 1


def test_discovery_mod_p_matches_the_exact_nullspace_on_every_block() -> None:
    s = mimo_rnn(2, 2, 2, 1).system  # k = 1: many laws (17) across many blocks
    fast = discover_laws(s, np.random.default_rng(0))
    D = s.n_vars
    # Independent check: every proven law lies in the exact nullspace at fresh points, and the
    # dimension equals the exact integer nullity of the whole (ungraded) ansatz at those points.
    from theory_check.symbolic._laws import _rows, monomials
    rng = np.random.default_rng(9)
    mons = monomials(D)
    pts = [tuple(int(v) for v in rng.integers(-5, 6, size=D)) for _ in range(60)]
    vals = [[[int(c(*p)) for c in f] for f in s.fields] for p in pts]
    rows = _rows(s, vals, pts, mons)
    _, nullity = flint.fmpz_mat(rows).nullspace()
    assert fast.dim == nullity == 17


def test_cli_derive_builtin_models_json(capsys) -> None:
    assert main(["derive", "--model", "mimo", "--m", "2", "--p", "2", "--d", "2", "--k", "3",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["certified"] is True and data["n_independent_laws"] == 3 == data["predicted"]
    assert data["n_params"] == 12 and any(e.startswith("da11/dt = ") for e in data["equations"])
    assert main(["derive", "--model", "deep-linear", "--widths", "2,3,2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_independent_laws"] == 6 and data["agrees"] is True
    assert main(["derive", "--model", "complex-diagonal", "--d", "2", "--k", "3"]) == 0
    assert "-p1**2 - q1**2 + u1**2 + v1**2" in capsys.readouterr().out
    assert main(["derive", "--model", "projected", "--d", "2", "--k", "3", "--format", "latex"]) == 0
    assert capsys.readouterr().out.startswith("\\begin{align*}")


def test_cli_derive_a_model_from_a_file(tmp_path, capsys) -> None:
    f = tmp_path / "mine.py"
    f.write_text(textwrap.dedent("""
        import sympy
        from theory_check.symbolic import model

        a, b = sympy.symbols("a b")
        SCALED = model([a, b], [a * b], name="scaled product")

        def factory():
            return model({"U": (2, 2), "V": (2, 2)}, lambda U, V: V * U, name="two layers")

        NOT_A_MODEL = 3
    """))
    assert main(["derive", "--model", f"{f}:SCALED", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "scaled product" and data["n_independent_laws"] == 1 and data["certified"]
    assert main(["derive", "--model", f"{f}:factory", "--format", "json", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    out = json.loads((tmp_path / "derive_two_layers.json").read_text())
    assert out["n_independent_laws"] == 3 and out["certified"]
    assert json.loads((tmp_path / "derive_two_layers.provenance.json").read_text())["certified"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "dense"], "--model must be one of"),
    (["--model", "nofile.py:X"], "--model: no such file"),
    (["--model", "mimo", "--m", "0"], "m must be an integer in [1, 9]"),
    (["--model", "deep-linear", "--widths", "2,x"], "--widths must be comma-separated"),
    (["--model", "deep-linear", "--widths", "2"], "widths must list 2 to 6"),
    (["--model", "mimo", "--param", "full"], "--param and --model exclude each other"),
    (["--degree", "9"], "--degree must be an integer in [1, 4]"),
])
def test_cli_derive_model_bad_input_is_one_line(argv, message, capsys) -> None:
    assert main(["derive", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_cli_derive_model_file_errors_are_one_line(tmp_path, capsys) -> None:
    f = tmp_path / "bad.py"
    f.write_text("X = 3\nraise_later = 1\n")
    assert main(["derive", "--model", f"{f}:X"]) == 2
    assert "neither a theory_check.symbolic.Model" in capsys.readouterr().err
    assert main(["derive", "--model", f"{f}:Y"]) == 2
    assert "defines no 'Y'" in capsys.readouterr().err


def test_cost_estimate_grows_with_the_case_and_refuses_beyond_its_limit() -> None:
    from theory_check.symbolic import MAX_SECONDS, estimate_seconds

    full = [estimate_seconds("full", d, 3) for d in range(2, 10)]
    assert all(a < b for a, b in itertools.pairwise(full)) and full[-1] < MAX_SECONDS
    assert estimate_seconds("diagonal", 32, 3) < estimate_seconds("full", 8, 3) * 10
    with pytest.raises(ValueError, match=r"estimated at ~.* beyond the documented limit of 1 s"):
        estimate_seconds("full", 8, 3, limit=1)
    with pytest.raises(ValueError, match=r"d must be an integer in \[1, 32\]"):
        estimate_seconds("diagonal", 33, 3)
    with pytest.raises(ValueError, match=r"d must be an integer in \[1, 9\]"):
        estimate_seconds("full", 10, 3)


@pytest.mark.parametrize(("args", "message"), [
    (("balanced", 7, 3), "d must be ≤ 6 for param=balanced"),
    (("full", 8, 2), "d must be ≤ 7 for param=full with k=2"),
])
def test_the_pre_check_refuses_cases_outside_the_fitted_cost_model(args, message) -> None:
    from theory_check.symbolic import derive, estimate_seconds

    with pytest.raises(ValueError, match=message):
        estimate_seconds(*args)
    with pytest.raises(ValueError, match=message):
        derive(*args)


@pytest.mark.parametrize("build", [lambda: mimo_rnn(9, 3, 3, 12), lambda: projected_rnn(9, 2, 2, 12),
                                   lambda: deep_linear((9, 9, 9, 9, 9, 9))])
def test_oversized_builtins_are_refused_before_building(build) -> None:
    with pytest.raises(ValueError, match="polynomial terms, beyond the documented limit"):
        build()


def test_a_model_derivation_prints_in_one_short_line_and_renders_in_notebooks() -> None:
    from theory_check.results import NotebookRepr
    from theory_check.symbolic import CensusRow, Derivation, ModelDerivation

    r = derive_model(deep_linear((2, 3, 2)))
    line = str(r)
    assert line == (f"ModelDerivation(model={r.model.name}, D=12, laws=6, certified=True, "
                    f"agrees={r.agrees})")
    assert "\n" not in line and len(line) < 120 and len(repr(r)) > 1000  # repr keeps everything
    assert all(issubclass(c, NotebookRepr) for c in (Derivation, CensusRow, ModelDerivation))
    md, html = r._repr_markdown_(), r._repr_html_()
    assert "| independent laws (D - dim Lie) | 6 |" in md and "| certified | True |" in md
    assert "<b>ModelDerivation</b>" in html and "LawSpace(" not in md


def test_rnn_derivation_and_census_rows_print_short_and_render_in_notebooks() -> None:
    from theory_check.symbolic import census, derive

    r = derive("full", 2, 3)
    assert str(r) == "Derivation(param=full, d=2, k=3, D=8, laws=3, certified=True)"
    assert "| independent laws (D - dim Lie) | 3 |" in r._repr_markdown_()
    (row,) = census([("full", 2, 3)])
    md = row._repr_markdown_()
    assert "| n_laws | 3 |" in md and "| agrees | True |" in md and "<b>CensusRow</b>" in row._repr_html_()
