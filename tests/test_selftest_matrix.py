"""The self-test itself (`theory-check selftest`, quick catalogue): for every claim, every engine
it rests on has a sabotage the claim notices, its baseline is as expected, and nothing crashes."""

import pytest

from theory_check import claims, selftest

pytestmark = pytest.mark.selftest


@pytest.mark.parametrize("cid", [c.id for c in claims.all_claims()])
def test_every_engine_of_the_claim_is_noticed_without_a_crash(cid: str) -> None:
    rep = selftest.run([cid], jobs=1, timeout=600)
    assert rep.baseline_ok[cid], rep.cell(selftest.BASELINE, cid)
    assert not rep.crashes, [(c.sabotage, c.reason) for c in rep.crashes]
    assert not rep.gaps, f"{cid} notices no sabotage of {[e for e, _ in rep.gaps]}"
    assert set(claims.get(cid).engines) == {e for e, _ in rep.coverage}


def test_every_engine_has_a_quick_sabotage_and_every_claim_rests_on_an_engine() -> None:
    quick = {s.engine for s in selftest.catalogue() if s.quick}
    for c in claims.all_claims():
        assert c.engines, f"{c.id} declares no engine: nothing could sabotage it"
        assert set(c.engines) <= quick, f"{c.id}: no quick sabotage for {set(c.engines) - quick}"
