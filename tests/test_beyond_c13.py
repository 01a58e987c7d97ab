"""C13 (beyond): exact block-Hankel identifiability of balanced MIMO teachers, MIMO GD."""

from fractions import Fraction as F

import numpy as np
import pytest

from theory_check.claims import Status, get
from theory_check.claims.train import audit_linear_gradient
from theory_check.moments._mimo import matrix_identified, matrix_moment_gap, matrix_moments
from theory_check.selftest import load_catalogues
from theory_check.train.mimo import batched_loss_gradient_mimo, train_mimo


@pytest.mark.parametrize("atoms,vectors,k_min", [
    ([F(9, 10), F(-1, 2)], [[1, 0], [F(1, 2), 1]], 3),            # d̂ = m = 2: 2⌈2/2⌉+1
    ([F(9, 10), F(-1, 2), F(3, 10)], [[1, 0], [0, 1], [1, 1]], 5),  # 2⌈3/2⌉+1
    ([F(9, 10), F(-1, 2), F(3, 10)], [[1, 0], [2, 0], [1, 0]], 7),  # parallel b_i: scalar 2d̂+1
    ([F(1, 2)], [[1]], 3),                                          # m = 1: C6's 2d̂+1
])
def test_certificate_finds_the_threshold_and_not_below(atoms, vectors, k_min):
    M = matrix_moments(atoms, vectors, k_min + 1)
    n = (k_min - 1) // 2
    cert = matrix_identified(M, n)
    assert cert.identified and cert.k == k_min
    assert sorted(cert.support) == sorted(atoms)
    assert not any(matrix_identified(M, j).identified for j in range(n))


def test_sdp_gap_below_threshold_and_none_at_it():
    atoms, vectors = [F(9, 10), F(-1, 2), F(3, 10)], [[1, 0], [0, 1], [1, 1]]
    Mf = [np.array(x.tolist(), dtype=float) for x in matrix_moments(atoms, vectors, 6)]
    grid = np.unique(np.concatenate([np.linspace(-1, 1, 21), [0.9, -0.5, 0.3]]))
    below = matrix_moment_gap(Mf, 4, grid=grid)
    at = matrix_moment_gap(Mf, 5, grid=grid)
    assert below["gap"] > 1e-2 and below["residual"] < 1e-7
    assert at["gap"] < 1e-5
    # The counterexample really is a different PSD measure with the same first 4 moments.
    for _, w in below["measure_upper"]:
        assert np.linalg.eigvalsh(np.array(w)).min() > -1e-7


def test_mimo_gradient_and_training():
    assert audit_linear_gradient(np.random.default_rng(0), m=2, p=3)["ok"]
    rng = np.random.default_rng(1)
    A, B, C = 0.3 * rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 2)), \
        rng.standard_normal((2, 2, 3))
    w = rng.standard_normal((4, 2, 2))
    L, *_ = batched_loss_gradient_mimo(A, B, C, w)
    G = np.array([[C[s] @ np.linalg.matrix_power(A[s], j) @ B[s] for j in range(4)] for s in range(2)])
    np.testing.assert_allclose(L, ((G - w) ** 2).sum(axis=(1, 2, 3)), rtol=1e-12)
    lam, Bt = np.array([0.9, -0.5]), np.array([[1, 0], [0.5, 1.0]])
    W = np.array([Bt.T @ np.diag(lam**j) @ Bt for j in range(60)])
    res = train_mimo(W, d=5, k=3, init_scale=1e-3, seeds=[0, 1], lr=0.02, steps=6000,
                     loss_tol=1e-10, rank_rtol=1e-4)
    for s in res.students:
        assert s.train_loss <= 1e-8 and s.extrapolation_error_rel < 1e-2 and s.effective_dim == 2
    with pytest.raises(ValueError, match="targets"):
        train_mimo(W[:, 0], d=5, k=3, init_scale=1e-3, seeds=[0], lr=0.02, steps=1)


def test_c13_verdict_and_sabotages():
    res = get("C13").verify(seed=0)
    assert res.status is Status.PASS, res.reason
    assert res.evidence["k_min"] == [3, 5, 7] and res.evidence["generic_formula"] == [3, 5, 5]
    assert res.evidence["min_gap_below"] > 1e-2
    cat = load_catalogues()
    for sid in ("moments.mimo_certifies_everything", "train.mimo_gradient_transposed"):
        with cat[sid].apply():
            assert get("C13").verify(seed=0).status is Status.INCONCLUSIVE
