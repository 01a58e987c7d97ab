"""C12 (beyond): oscillating teacher; the complex-diagonal model, its gradient, the verdict."""

import numpy as np
import pytest

from theory_check.claims import Status, get
from theory_check.claims.beyond import audit_complex_diagonal_gradient
from theory_check.model import complex_diagonal_impulse_response
from theory_check.selftest import load_catalogues


def test_complex_diagonal_impulse_response_is_re_sum_c_lambda_b():
    theta = np.array([[0.5, 0.2], [0.3, 0.0], [1.0, 2.0], [0.5, 0.0], [1.0, -1.0], [0.0, 0.5]])
    lam = theta[0] + 1j * theta[1]
    b, c = theta[2] + 1j * theta[3], theta[4] + 1j * theta[5]
    expect = [np.real(np.sum(c * lam**j * b)) for j in range(6)]
    np.testing.assert_allclose(complex_diagonal_impulse_response(theta, 6), expect, rtol=1e-14)
    # One mode λ = ρe^{iω} with b = c = 1 gives Re λ^j = ρ^j cos(jω).
    th = np.zeros((6, 1))
    th[0], th[1], th[2], th[4] = 0.9 * np.cos(0.6), 0.9 * np.sin(0.6), 1.0, 1.0
    np.testing.assert_allclose(complex_diagonal_impulse_response(th, 5),
                               0.9 ** np.arange(5) * np.cos(0.6 * np.arange(5)), rtol=1e-13)
    with pytest.raises(ValueError, match="theta"):
        complex_diagonal_impulse_response(np.zeros((5, 2)), 3)


def test_complex_diagonal_gradient_audit_and_its_sabotage():
    assert audit_complex_diagonal_gradient(np.random.default_rng(0))["max_rel_error"] < 1e-12
    with load_catalogues()["train.complex_diag_gradient_conjugated"].apply():
        bad = audit_complex_diagonal_gradient(np.random.default_rng(0))
        res = get("C12").verify(seed=0)
    assert not bad["ok"] and bad["max_rel_error"] > 1e-3
    assert res.status is Status.INCONCLUSIVE and "finite differences" in res.reason


def test_c12_finds_the_pair_and_the_contrast():
    res = get("C12").verify(seed=0)
    assert res.status is Status.PASS, res.reason
    ev = res.evidence
    assert ev["full.max_E_rel"] <= 1e-2 and ev["full.effective_dim"] == [2, 2, 2]
    assert all(abs(a - 0.9) < 1e-3 for row in ev["full.atoms_abs"] for a in row)
    assert ev["balanced.min_loss_rel"] >= 0.1  # a real spectrum cannot carry the oscillation
    assert ev["complex_diag.n_fitted"] >= 1 and ev["complex_diag.min_amplification"] >= 30
    assert ev["full.max_amplification"] < 30  # full A: the error is what the loss explains
    assert all(dim > 2 for dim in ev["complex_diag.effective_dim"])
    # Falsifiable: an amplification threshold above what the data show makes the same data FAIL.
    res2 = get("C12").verify(seed=0, cd_min_amplification=1e7)
    assert res2.status is Status.FAIL and res2.counterexample["part"] == "complex diagonal"
