"""Claims C2, C3, N2 and the symbolic part of C4; the `derive` command; figure F9."""

import json

import numpy as np
import pytest

from theory_check import claims, figures
from theory_check.claims import Status
from theory_check.claims.symbolic import c2_symbolic, c4_symbolic
from theory_check.cli import main


def test_c2_passes_with_a_proof_for_all_d_and_the_derived_span() -> None:
    r = claims.get("C2").verify(seed=2)
    assert r.status is Status.PASS, r.reason
    ev = {k.removeprefix("symbolic."): v for k, v in r.evidence.items()}
    assert ev["identity.K"] >= 8 and ev["identity.engines_agree"]
    assert ev["ansatz.cases_law_not_conserved"] == 0
    assert ev["ansatz.span_equals_known_laws_for_k_ge_2"] is True
    assert r.evidence["numeric.falling_with_dps"] is True  # the high-precision part joined in
    json.dumps(r.to_json())


def test_c2_symbolic_fails_for_a_false_law() -> None:
    out = c2_symbolic(np.random.default_rng(0), K=4, full_d=(1, 2), diagonal_d=(1, 2), k_max=3,
                      law="Q+")
    assert out.status is Status.FAIL and out.counterexample is not None
    assert "fails at k = 1" in out.reason


def test_c3_counts_are_certified_and_k1_differs() -> None:
    r = claims.get("C3").verify(seed=0)
    assert r.status is Status.PASS, r.reason
    assert r.evidence["n_certified"] == r.evidence["n_cases"] == 48
    # k = 1: D - 1 laws; k ≥ 2: d(d+1)/2 (full d = 3 has D = 15).
    assert r.evidence["full_d3_laws_k1..6"] == "14,6,6,6,6,6"
    assert r.evidence["diagonal_d5_laws_k1..6"] == "14,5,5,5,5,5"


def test_c3_fails_when_the_prediction_ignores_k1() -> None:
    r = claims.get("C3").verify(prediction="balancedness-all-k", full_d=(1, 2), diagonal_d=(2,),
                                k_max=2, two_layer=False)
    assert r.status is Status.FAIL
    assert r.counterexample["k"] == 1 and r.counterexample["n_laws"] == r.counterexample["D"] - 1


def test_n2_fails_with_an_explicit_exact_point_and_q_passes() -> None:
    r = claims.get("N2").verify(seed=5)
    assert r.status is Status.FAIL and r.as_expected
    rate = r.counterexample["d(B-C^T)/dt"]
    assert any(x != 0 for x in rate) and r.evidence["in_derived_laws"] is False
    ok = claims.get("N2").verify(quantity="Q")
    assert ok.status is Status.PASS and ok.evidence["max_abs_rate"] == 0


def test_c4_symbolic_proves_tangency_and_fails_off_the_manifold() -> None:
    rng = np.random.default_rng(0)
    good = c4_symbolic(rng, K=10, K_sympy=10)
    assert good.status is Status.PASS and good.evidence["K"] == 10
    assert good.evidence["sympy_cross_check_K"] == 10  # sympy covers every k it claims
    assert good.evidence["control_B=C^T_only_refuted_at_k"] == 2
    assert good.evidence["exact_tangency_fails_at_k"] == "none"
    bad = c4_symbolic(rng, K=10, manifold="B=C^T only")
    assert bad.status is Status.FAIL and bad.counterexample["k"] == 2
    # the independent gradient agrees: not tangent from k = 2 on (k = 1: ∇_A L = 0)
    assert bad.evidence["exact_tangency_fails_at_k"][0] == 2


def test_c2_states_where_sympy_stops_and_cross_checks_every_k() -> None:
    out = c2_symbolic(np.random.default_rng(0), K=12, K_sympy=6, full_d=(1,), diagonal_d=(1,),
                      k_max=2)
    assert out.status is Status.PASS, out.reason
    ev = out.evidence
    assert ev["identity.word_engine_only_for_k"] == "7..12"
    assert ev["identity.exact_cross_check_k"] == "1..12"
    assert ev["identity.exact_cross_check_disagreements"] == "none"
    assert ev["identity.false_laws_refuted"] == {"Q+": 1, "B-C^T": 1}


def test_n2_rates_match_theory_md_exactly() -> None:
    r = claims.get("N2").verify(seed=1)
    assert r.status is Status.FAIL and r.evidence["rates_match_theory"] is True
    assert r.evidence["gradient_check_max_error"] == 0
    ce = r.counterexample
    assert ce["d(B-C^T)/dt"] == ce["predicted_by_proofs/theory.md"]


def test_bad_claim_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="law must be one of"):
        c2_symbolic(np.random.default_rng(0), law="P")
    # a claim parameter out of range is the caller's mistake: raised, not INCONCLUSIVE
    with pytest.raises(ValueError, match=r"full_d must be an integer in \[1, 4\]; got 9"):
        claims.get("C3").verify(full_d=(9,))
    with pytest.raises(ValueError, match="K_sympy"):
        claims.get("C2").verify(K_sympy=0)
    with pytest.raises(ValueError, match="d_hat"):
        claims.get("N2").verify(d_hat=0)


def test_derive_json_has_exactly_the_specified_fields(capsys) -> None:
    assert main(["derive", "--param", "full", "--d", "2", "--k", "3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["param", "d", "k", "n_params", "conserved_quadratic_forms",
                          "n_conserved_quadratic", "lie_algebra_dim", "n_independent_laws",
                          "matches_balancedness", "certified", "lower_bound", "equations",
                          "seconds"]
    assert data["certified"] is True and data["lower_bound"] == 3
    assert data["equations"][0] == "g_0 = b1*c1 + b2*c2"
    assert any(e.startswith("da11/dt = -2*(") for e in data["equations"])
    assert data["n_params"] == 8 and data["n_conserved_quadratic"] == 3
    assert data["lie_algebra_dim"] == 5 and data["n_independent_laws"] == 3
    assert data["matches_balancedness"] is True and len(data["conserved_quadratic_forms"]) == 3


def test_derive_md_latex_and_out_dir(tmp_path, capsys) -> None:
    assert main(["derive", "--param", "diagonal", "--d", "2", "--k", "2"]) == 0
    md = capsys.readouterr().out
    assert "da1/dt" in md and "b1**2 - c1**2" in md
    assert main(["derive", "--param", "balanced", "--d", "2", "--k", "2", "--format", "latex",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "derive_balanced_d2_k2.tex").read_text().startswith("\\begin{align*}")
    prov = json.loads((tmp_path / "derive_balanced_d2_k2.provenance.json").read_text())
    assert prov["certified"] is True and "versions" in prov


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["derive", "--param", "dense"], "param must be one of"),
        (["derive", "--d", "0"], "d must be an integer in [1, 9]"),
        (["derive", "--d", "6", "--k", "9"], "documented limit"),
        (["derive", "--format", "pdf"], "--format must be one of"),
    ],
)
def test_derive_bad_input_is_a_one_line_error(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_f9_quick_renders_with_finite_data(tmp_path) -> None:
    (rendered,) = figures.render(["F9"], out=tmp_path, quick=True)
    assert (tmp_path / "F9.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rendered.id == "F9"
    assert (tmp_path / "F9.pdf").read_bytes()[:5] == b"%PDF-"
    data = json.loads((tmp_path / "F9.data.json").read_text())
    assert np.all(np.isfinite(np.array(data["n_laws"], dtype=float)))
    assert all(data["certified"]) and data["n_laws"] == data["predicted"]


@pytest.mark.slow
@pytest.mark.parametrize("cid", ["C2", "C3"])
def test_thorough_symbolic_claims_pass(cid) -> None:
    r = claims.get(cid).verify(thorough=True)
    assert r.status is Status.PASS, r.reason


@pytest.mark.slow
def test_thorough_n2_fails() -> None:
    r = claims.get("N2").verify(thorough=True)
    assert r.status is Status.FAIL and r.counterexample
