"""The claim registry (proofs/theory.md §3): `all_claims()`, `get(id)`, `verify(ids)`, user claims.

Adding a built-in claim is one function decorated with `@claim(...)` in a module imported
below. A user claim is the same decorator with a namespaced id ("mylab.L1") in any file or
module: `load(spec)` imports one, `load_plugins()` every installed plugin (entry-point group
`theory_check.claims`); `for_all` checks a statement over a hypothesis strategy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from theory_check.claims import (
    basic,  # noqa: F401  (registers C1, C5)
    beyond,  # noqa: F401  (registers C12, C13, C14: beyond the paper)
    composite,  # noqa: F401  (C2, C4, C8: parts from several engines)
    flow,  # noqa: F401  (registers C11, N4)
    moments,  # noqa: F401  (registers C6, C7, N1, N5)
    nonlinear,  # noqa: F401  (registers C10)
    symbolic,  # noqa: F401  (registers C3, N2)
    train,  # noqa: F401  (registers C9, N3)
)
from theory_check.claims._registry import (
    REGISTRY,
    RULES,
    Claim,
    ClaimResult,
    Kind,
    Outcome,
    Status,
    all_claims,
    builtin_claims,
    claim,
    combine,
    get,
    is_builtin_id,
    jsonable,
    judge,
    user_claims,
)
from theory_check.claims._user import ENTRY_POINT_GROUP, for_all, load, load_plugins

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "RULES",
    "Claim",
    "ClaimResult",
    "Kind",
    "Outcome",
    "Status",
    "all_claims",
    "builtin_claims",
    "claim",
    "combine",
    "for_all",
    "get",
    "is_builtin_id",
    "iter_verify",
    "jsonable",
    "judge",
    "load",
    "load_plugins",
    "user_claims",
    "verify",
]


def iter_verify(
    ids: Iterable[str] | None = None, *, thorough: bool = False, seed: int = 0
) -> Iterator[ClaimResult]:
    """Verify the named claims (all if None) one by one, yielding each result as it is ready."""
    claims = all_claims() if not ids else [get(i) for i in ids]
    for c in claims:
        yield c.verify(thorough=thorough, seed=seed)


def verify(
    ids: Iterable[str] | None = None, *, thorough: bool = False, seed: int = 0
) -> list[ClaimResult]:
    """Verify the named claims (all if None) and return their results."""
    return list(iter_verify(ids, thorough=thorough, seed=seed))
