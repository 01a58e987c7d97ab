"""Each sabotage of the symbolic and flow engines (and the gradient sabotages) moves the claims
that must notice it, at small parameters, and for the stated reason."""

import numpy as np
import pytest

from theory_check import claims
from theory_check.claims import Status
from theory_check.claims.flow import c2_numeric
from theory_check.claims.symbolic import c2_symbolic, c4_symbolic
from theory_check.selftest import load_catalogues

pytestmark = pytest.mark.selftest

SMALL_C2 = {"K": 3, "K_sympy": 3, "full_d": (1, 2), "diagonal_d": (1, 2), "k_max": 2}
SMALL_C3 = {"full_d": (1, 2), "diagonal_d": (2,), "k_max": 2, "two_layer": False}
SMALL_C4 = {"n_students": 3, "n_trajectories": 1, "gd_steps": 20, "flow_time": 0.5, "K": 3,
            "K_sympy": 3}
SMALL_FLOW = {"T": 0.3, "dps_ladder": (15, 30)}


def under(sabotage_id: str):
    return load_catalogues()[sabotage_id].apply()


def test_baselines_of_the_small_variants_are_as_expected() -> None:
    rng = np.random.default_rng(0)
    assert c2_symbolic(rng, **SMALL_C2).status is Status.PASS
    assert c4_symbolic(rng, K=3, K_sympy=3).status is Status.PASS
    assert c2_numeric(rng, **SMALL_FLOW).status is Status.PASS
    assert claims.get("C3").verify(**SMALL_C3).status is Status.PASS


def test_word_engine_proving_every_law_is_caught_by_the_false_laws() -> None:
    with under("symbolic.words_dt_zero"):
        out = c2_symbolic(np.random.default_rng(0), **SMALL_C2)
        n2 = claims.get("N2").verify(K=3)
    assert out.status is Status.INCONCLUSIVE and "proves a false law" in out.reason
    assert n2.status is Status.INCONCLUSIVE and "calls it conserved" in n2.reason


def test_word_engine_proving_every_identity_is_caught_by_c4s_control() -> None:
    with under("symbolic.words_prove_all"):
        out = c4_symbolic(np.random.default_rng(0), K=3, K_sympy=3)
    assert out.status is Status.INCONCLUSIVE and "B = Cᵀ" in out.reason


def test_prover_refuting_everything_is_noticed() -> None:
    with under("symbolic.refute_all"):
        c2 = claims.get("C2").verify(**SMALL_C2, T=0.1, dps_ladder=(15, 20))
        c3 = claims.get("C3").verify(**SMALL_C3)
    # no law survives the flint re-check: the derivation gives up, the claims say why
    for r in (c2, c3):
        assert r.status is Status.INCONCLUSIVE and "RuntimeError" in r.reason, r.reason


def test_a_span_one_too_small_is_noticed() -> None:
    with under("symbolic.wrong_span"):
        c2 = c2_symbolic(np.random.default_rng(0), **SMALL_C2)
        c3 = claims.get("C3").verify(**SMALL_C3)
    assert c2.status is Status.INCONCLUSIVE and "disagree" in c2.reason
    assert c3.status is Status.INCONCLUSIVE and "not certified" in c3.reason


def test_taylor_update_off_by_2_to_the_minus_40_breaks_the_ladder() -> None:
    with under("flow.taylor_update_2^-40"):
        out = c2_numeric(np.random.default_rng(0), **SMALL_FLOW)
    assert out.status is Status.FAIL
    assert out.evidence["drift_dps30"] > 1e-22 and out.evidence["drift_dps30"] < 1e-9


def test_a_drifting_flow_is_noticed_by_every_flow_claim() -> None:
    with under("flow.q_drift"):
        c2 = c2_numeric(np.random.default_rng(0), **SMALL_FLOW)
        c11 = claims.get("C11").verify()
        n4 = claims.get("N4").verify()
    assert c2.status is Status.FAIL
    assert c11.status is Status.INCONCLUSIVE and "GD step differs" in c11.reason
    assert n4.status is Status.INCONCLUSIVE and "not GD" in n4.reason


def test_a_gd_step_size_bug_is_noticed() -> None:
    with under("flow.gd_step_size"):
        c11 = claims.get("C11").verify()
        n4 = claims.get("N4").verify()
    assert c11.status is Status.INCONCLUSIVE and n4.status is Status.INCONCLUSIVE


@pytest.mark.parametrize("sabotage_id", ["flow.taylor_time_scaled", "flow.taylor_truncated"])
def test_wrong_taylor_integrators_are_noticed(sabotage_id) -> None:
    with under(sabotage_id):
        out = c2_numeric(np.random.default_rng(0), **SMALL_FLOW)
    assert out.status is not Status.PASS


def test_time_scaled_taylor_still_conserves_q_but_disagrees_with_dop853() -> None:
    with under("flow.taylor_time_scaled"):
        out = c2_numeric(np.random.default_rng(0), **SMALL_FLOW)
    assert out.status is Status.INCONCLUSIVE and "do not integrate the same flow" in out.reason
    assert out.evidence["drift_dps30"] < 1e-22  # Q alone could not have told


@pytest.mark.parametrize("sabotage_id", ["model.gradient_symmetric", "model.gradient_scaled"])
def test_gradient_sabotages_make_gradient_claims_inconclusive(sabotage_id) -> None:
    with under(sabotage_id):
        results = [claims.get("C4").verify(**SMALL_C4), claims.get("N2").verify(K=3),
                   claims.get("N4").verify()]
    for r in results:
        assert r.status is Status.INCONCLUSIVE, (r.id, r.reason)
        assert "gradient engine disagrees with independent derivation" in r.reason
