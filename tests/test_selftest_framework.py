"""The self-test machinery on toy claims and toy sabotages: noticing, gaps, crashes, resume."""

import contextlib
import json
import time

import pytest

from theory_check import claims, selftest
from theory_check.claims import Kind, Outcome, Status
from theory_check.claims._registry import REGISTRY, Claim
from theory_check.selftest import SABOTAGES, Sabotage, patch_everywhere


def _value() -> int:
    return 1


class _Engine:
    value = staticmethod(_value)


def _check_noticing(rng) -> Outcome:
    v = _Engine.value()
    return Outcome(Status.PASS if v == 1 else Status.FAIL, f"value {v}", {"value": v})


def _check_blind(rng) -> Outcome:
    return Outcome(Status.PASS, "never looks at the engine", {})


def _check_control(rng) -> Outcome:
    v = _Engine.value()
    return Outcome(Status.FAIL if v == 1 else Status.PASS, f"value {v}", {"value": v})


@contextlib.contextmanager
def _set(value) -> contextlib.AbstractContextManager:
    with patch_everywhere(_Engine, "value", staticmethod(value)):
        yield


def _slow():
    time.sleep(30)
    return 1


def _crash_verify():
    # Raising from the provenance step happens outside the check: it escapes verify.
    from theory_check.claims import _registry
    return patch_everywhere(_registry, "provenance", lambda **kw: 1 / 0)


@pytest.fixture
def toy(monkeypatch):
    """Three toy claims on engine "model" and four toy sabotages, removed afterwards."""
    toys = {
        "C97": Claim("C97", "noticing", "s", Kind.EQUALITY, True, _check_noticing, engines=("model",)),
        "C98": Claim("C98", "blind", "s", Kind.EQUALITY, True, _check_blind, engines=("model",)),
        "N97": Claim("N97", "control", "s", Kind.EQUALITY, False, _check_control, engines=("model",)),
    }
    sabs = {
        "toy.wrong": Sabotage("toy.wrong", "model", "value 2", lambda: _set(lambda: 2)),
        "toy.raises": Sabotage("toy.raises", "model", "value raises", lambda: _set(lambda: 1 // 0)),
        "toy.slow": Sabotage("toy.slow", "model", "value hangs", lambda: _set(_slow), quick=False),
        "toy.crash": Sabotage("toy.crash", "model", "verify itself raises", _crash_verify,
                              quick=False),
    }
    for k, v in toys.items():
        monkeypatch.setitem(REGISTRY, k, v)
    selftest.load_catalogues()
    for k, v in sabs.items():
        monkeypatch.setitem(SABOTAGES, k, v)
    return list(toys), list(sabs)


def test_patch_everywhere_rebinds_imported_copies_and_restores() -> None:
    from theory_check import model
    from theory_check.claims import basic

    original = model.markov_parameters
    assert basic.markov_parameters is original  # imported by name
    with patch_everywhere(model, "markov_parameters", len) as got:
        assert got is original
        assert model.markov_parameters is len and basic.markov_parameters is len
    assert model.markov_parameters is original and basic.markov_parameters is original


def test_a_sabotage_is_noticed_by_the_claims_that_look_and_not_by_the_blind_one(toy) -> None:
    ids, _ = toy
    rep = selftest.run(ids, ["toy.wrong", "toy.raises"], jobs=2)
    assert all(rep.baseline_ok.values())
    assert rep.cell("toy.wrong", "C97").noticed and rep.cell("toy.wrong", "C97").status == "FAIL"
    assert rep.cell("toy.wrong", "N97").noticed  # a control that PASSes has noticed
    # An exception inside the check is INCONCLUSIVE: noticed, and not a crash.
    raised = rep.cell("toy.raises", "C97")
    assert raised.noticed and not raised.crashed and "ZeroDivisionError" in raised.reason
    assert not rep.cell("toy.wrong", "C98").noticed
    assert rep.gaps == [("model", "C98")] and not rep.ok
    md = selftest.to_markdown(rep)
    assert "C98 | model | **none (gap)**" in md and "toy.wrong" in md


def test_crashes_and_hangs_are_reported_not_raised(toy) -> None:
    rep = selftest.run(["C97"], ["toy.slow", "toy.crash"], timeout=2.0)
    slow, crash = rep.cell("toy.slow", "C97"), rep.cell("toy.crash", "C97")
    assert slow.crashed and "timed out" in slow.reason and not slow.noticed
    assert crash.crashed and "ZeroDivisionError" in crash.reason
    assert len(rep.crashes) == 2 and not rep.ok


def test_an_interrupted_selftest_resumes_from_its_file(toy, tmp_path) -> None:
    out = tmp_path / "st.jsonl"
    seen: list[str] = []
    selftest.run(["C97"], ["toy.wrong"], out=out)
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["claim"] == "C97" for x in lines)
    out.write_text(lines[0] + "\n")  # as if stopped after the first cell
    rep = selftest.run(["C97"], ["toy.wrong"], out=out,
                       progress=lambda done, total, cell: seen.append(cell.sabotage))
    assert seen == ["toy.wrong"]  # only the missing cell ran
    assert rep.ok and len(out.read_text().splitlines()) == 2


def test_plan_runs_each_sabotage_against_the_claims_resting_on_its_engine() -> None:
    cells = selftest.plan(full=True)
    engines = {s.id: s.engine for s in selftest.catalogue()}
    for sab, cid in cells:
        if sab != selftest.BASELINE:
            assert engines[sab] in claims.get(cid).engines
    assert {c for s, c in cells if s == selftest.BASELINE} == {c.id for c in claims.all_claims()}
    with pytest.raises(ValueError, match="unknown sabotage"):
        selftest.plan(sabotage_ids=["no.such"])
