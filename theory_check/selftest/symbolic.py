"""Sabotages of the symbolic engine (`theory_check.symbolic`); each registered with `@sabotage`.

The word engine (`symbolic._words`) proves the free-algebra identities of C2, C4 and N2; the
flint law prover (`symbolic._laws.is_conserved`) certifies the conserved quadratic forms that
`discover_laws` returns (C2's derivation, C3's lower bounds, N2's "in derived laws").
"""

from __future__ import annotations

from typing import Any

from theory_check.selftest import patch_everywhere, patch_many, sabotage


def _words() -> Any:
    from theory_check.symbolic import _words

    return _words


def _laws() -> Any:
    from theory_check.symbolic import _laws

    return _laws


@sabotage("symbolic.words_dt_zero", engine="symbolic", quick=False,
          description="word engine: d/dt of every law expands to 0 (proves every conservation law)")
def words_dt_zero() -> Any:
    words = _words()
    original = words.time_derivative

    def time_derivative(law, rates):
        _, n = original(law, rates)
        return {}, n

    return patch_everywhere(words, "time_derivative", time_derivative)


@sabotage("symbolic.words_prove_all", engine="symbolic",
          description="word engine: every sum cancels to 0 (proves every identity: laws, Noether, "
                      "tangency)")
def words_prove_all() -> Any:
    words = _words()
    return patch_everywhere(words, "add", lambda *xs, signs=None: {})


@sabotage("symbolic.refute_all", engine="symbolic", quick=False,
          description="both provers refute everything: no law passes the flint re-check, every "
                      "word-engine d/dt leaves a residue")
def refute_all() -> Any:
    words, laws = _words(), _laws()
    original = words.time_derivative

    def time_derivative(law, rates):
        out, n = original(law, rates)
        return {**out, (0, "B"): 1}, n

    return patch_many(patch_everywhere(laws, "is_conserved", lambda system, q: False),
                      patch_everywhere(words, "time_derivative", time_derivative))


@sabotage("symbolic.wrong_span", engine="symbolic",
          description="discover_laws drops the last basis law (a span one too small, still "
                      "reported as matching the known laws)")
def wrong_span() -> Any:
    import dataclasses

    laws = _laws()
    original = laws.discover_laws

    def discover_laws(system, rng, **kw):
        space = original(system, rng, **kw)
        if not space.laws:
            return space
        return dataclasses.replace(space, laws=space.laws[:-1], strings=space.strings[:-1],
                                   dim=space.dim - 1)

    return patch_everywhere(laws, "discover_laws", discover_laws)
