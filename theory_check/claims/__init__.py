"""The claim registry of THEORY.md §3: `all_claims()`, `get(id)`, `verify(ids)`.

Adding a claim is one function decorated with `@claim(...)` in a module imported below.
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
    claim,
    combine,
    get,
    jsonable,
    judge,
)

__all__ = [
    "REGISTRY",
    "RULES",
    "Claim",
    "ClaimResult",
    "Kind",
    "Outcome",
    "Status",
    "all_claims",
    "claim",
    "combine",
    "get",
    "iter_verify",
    "jsonable",
    "judge",
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
