"""C14 (beyond): the short-memory contrast — memory summaries, the verdict, and its failure modes."""

import numpy as np
import pytest

from theory_check.claims import Status, get
from theory_check.selftest import load_catalogues
from theory_check.train.memory import decay_rate, memory_tail

FAST = {"d": 8, "n_seeds": 2, "ks": (3,)}


def test_decay_rate_and_tail_of_geometric_sequences():
    j = np.arange(200)
    assert decay_rate(0.9**j, 5) == pytest.approx(0.9, rel=1e-12)
    assert decay_rate(-(0.5**j), 0) == pytest.approx(0.5, rel=1e-12)
    assert np.isnan(decay_rate(np.zeros(10), 0))
    assert memory_tail(0.99**j, 0.99**j, 3) == pytest.approx(1.0)
    assert memory_tail(0.5**j, 0.99**j, 3) < 0.05


def test_c14_passes_with_the_contrast_in_numbers():
    res = get("C14").verify(seed=0, **FAST)
    assert res.status is Status.PASS, res.reason
    ev = res.evidence
    assert ev["small.max_rate_error"] <= 2e-3 and ev["small.max_E_rel"] <= 1e-2
    assert ev["large.median_tail"] <= 0.5 and ev["large.min_median_E_rel"] >= 0.1
    assert ev["large.median_rate"] < 0.97  # a strictly shorter memory than the teacher's 0.99
    assert "beyond" in get("C14").tags


def test_c14_fails_when_every_student_starts_small():
    with load_catalogues()["train.init_scale_ignored"].apply():
        res = get("C14").verify(seed=0, **FAST)
    assert res.status is Status.FAIL
    assert res.counterexample["why"].startswith("large init keeps")
    assert res.counterexample["median_tail"] > 0.9


def test_c14_inconclusive_without_training_and_bad_k():
    assert get("C14").verify(seed=0, **{**FAST, "steps": 5}).status is Status.INCONCLUSIVE
    with pytest.raises(ValueError, match="ks"):
        get("C14").verify(seed=0, **{**FAST, "ks": (2,)})
