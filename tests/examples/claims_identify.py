"""A user negative control: "k = d̂ + 1 Markov parameters identify every balanced teacher".

False: on [-1, 1] an interior atom counts twice (C6: k ≥ 2·#interior + #boundary + 1 is
needed), so already one atom in (-1, 1) seen through k = 2 moments is not identified. The check
asks the moment engine (`theory_check.moments.identify`, exact rationals) for teachers drawn
by hypothesis; it must FAIL, and the counterexample is the (shrunk) teacher together with a
second nonnegative measure — a balanced zero-loss student — that matches its k moments and not
the next one. With `extra_moments=None` (k = 2d̂ + 1) the statement is C6 and the check PASSes.
"""

from __future__ import annotations

from theory_check.claims import Kind, Outcome, Status, claim, for_all
from theory_check.moments import identify
from theory_check.strategies import teacher_measures


@claim(
    "examples.few_moments_identify",
    title="Negative control: d̂ + 1 moments identify the teacher",
    statement="Zero loss on k = d̂ + 1 Markov parameters identifies every balanced teacher on [-1, 1] (false)",
    kind=Kind.THRESHOLD,
    expected=False,
    defaults={"max_dim": 3, "extra_moments": 1, "boundary": True},
)
def check_few_moments(rng, *, max_dim: int, extra_moments: int | None, boundary: bool):
    """For each drawn teacher (d̂ atoms, possibly at ±1): is it identified by k = d̂ + extra moments?

    `extra_moments=None` means k = 2d̂ + 1, the true threshold of C6.
    """
    def identified(measure):
        atoms, weights = measure
        k = 2 * len(atoms) + 1 if extra_moments is None else len(atoms) + extra_moments
        res = identify(atoms, weights, k, "unit")
        ev = {"d_hat": len(atoms), "k": k, "minimal_k": res.minimal_k, "certificate": res.certificate}
        if res.certificate != "exact":
            return Outcome(Status.INCONCLUSIVE, f"no exact certificate ({res.certificate})", ev)
        if res.identified:
            return Outcome(Status.PASS, f"identified by k = {k} (minimal k = {res.minimal_k})", ev)
        return Outcome(Status.FAIL, f"k = {k} moments do not identify it (minimal k = {res.minimal_k})",
                       ev, counterexample={"other_measure": res.counterexample})

    return for_all(teacher_measures(max_dim=max_dim, boundary=boundary), identified, rng=rng)
