"""The claim registry: claims, verdicts, and the rule each kind of claim is judged by."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np

from theory_check._validate import ParameterError
from theory_check.provenance import provenance
from theory_check.results import NotebookRepr, Status, as_float, jsonable

__all__ = ["ENGINES", "RULES", "Claim", "ClaimResult", "Kind", "Outcome", "Status", "claim", "combine",
           "jsonable", "judge"]


class Kind(StrEnum):
    """What sort of statement a claim is; fixes how its numbers are judged (see `judge`)."""

    EQUALITY = "equality"        # |computed - theory| <= tol * max(1, |theory|)
    BOUND = "bound"              # computed <= theory + tol (one-sided)
    CONSERVED = "conserved"      # drift of a conserved quantity <= tol
    INVARIANT = "invariant"      # distance from an invariant set <= tol
    THRESHOLD = "threshold"      # an integer threshold equals its prediction exactly
    RANK = "rank"                # an integer rank / count equals its prediction exactly
    QUALITATIVE = "qualitative"  # a comparison with stated thresholds; no single tolerance

    def __str__(self) -> str:
        return self.value


RULES: dict[Kind, str] = {
    Kind.EQUALITY: "|computed - theoretical| <= tol * max(1, |theoretical|)",
    Kind.BOUND: "computed <= theoretical + tol",
    Kind.CONSERVED: "max drift <= tol",
    Kind.INVARIANT: "max distance from the invariant set <= tol",
    Kind.THRESHOLD: "computed == theoretical (exact integers)",
    Kind.RANK: "computed == theoretical (exact integers)",
    Kind.QUALITATIVE: "each stated threshold met (see evidence)",
}


def judge(kind: Kind, computed: Any, theoretical: Any = 0, tol: Any = 0) -> Status:
    """Apply the kind's rule (`RULES`) to numbers of any real type (float, numpy, mpmath, gmpy2,
    Fraction, int); a NaN, an infinity or a non-number is INCONCLUSIVE, never PASS or FAIL."""
    if kind is Kind.QUALITATIVE:
        raise ValueError("qualitative claims are judged by their own thresholds, not by judge()")
    for v in (computed, theoretical, tol):
        if isinstance(v, (int, Fraction)) and not isinstance(v, bool):
            continue
        f = as_float(v)
        if f is None or not math.isfinite(f):
            return Status.INCONCLUSIVE
    if kind is Kind.EQUALITY:
        ok = abs(computed - theoretical) <= tol * max(1.0, abs(theoretical))
    elif kind is Kind.BOUND:
        ok = computed <= theoretical + tol
    elif kind in (Kind.CONSERVED, Kind.INVARIANT):
        ok = abs(computed) <= tol
    elif kind in (Kind.THRESHOLD, Kind.RANK):
        ok = computed == theoretical
    else:  # pragma: no cover (every kind is handled above)
        raise AssertionError(kind)
    return Status.PASS if ok else Status.FAIL


@dataclass(frozen=True)
class Outcome:
    """What a claim's check returns: the verdict, why, and the numbers that decided it."""

    status: Status
    reason: str
    evidence: Mapping[str, Any]
    counterexample: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status) or not self.status.is_verdict:
            raise TypeError(f"an Outcome's status must be PASS, FAIL or INCONCLUSIVE; got {self.status!r}")


@dataclass(frozen=True)
class ClaimResult(NotebookRepr):
    """A verified claim: verdict with reason, evidence, counterexample, timing and provenance."""

    id: str
    expected: bool
    status: Status
    reason: str
    evidence: Mapping[str, Any]
    counterexample: Mapping[str, Any] | None
    seconds: float
    params: Mapping[str, Any]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def as_expected(self) -> bool:
        """True claims must PASS; negative controls (expected False) must FAIL."""
        return self.status is (Status.PASS if self.expected else Status.FAIL)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict {id, expected, status, reason, evidence, counterexample, seconds, …}."""
        return jsonable({
            "id": self.id,
            "expected": self.expected,
            "status": self.status.value,
            "reason": self.reason,
            "evidence": self.evidence,
            "counterexample": self.counterexample,
            "seconds": self.seconds,
            "params": self.params,
            "provenance": self.provenance,
        })


def combine(parts: Mapping[str, Outcome]) -> Outcome:
    """One verdict from named parts (e.g. a symbolic proof and a numeric check of one claim).

    FAIL if any part FAILs, else INCONCLUSIVE if any part is, else PASS. Evidence keys are
    prefixed with the part's name; the first counterexample is kept.
    """
    statuses = [o.status for o in parts.values()]
    status = (Status.FAIL if Status.FAIL in statuses else
              Status.INCONCLUSIVE if Status.INCONCLUSIVE in statuses else Status.PASS)
    evidence = {f"{name}.{k}": v for name, o in parts.items() for k, v in o.evidence.items()}
    reason = "; ".join(f"{name}: {o.status.value} ({o.reason})" for name, o in parts.items())
    counter = next((o.counterexample for o in parts.values() if o.counterexample), None)
    return Outcome(status, reason, evidence, counter)


CheckFn = Callable[..., Outcome]


@dataclass(frozen=True)
class Claim:
    """A registered claim and the function that checks it.

    `check(rng, **params) -> Outcome`; `defaults` are fast parameters, `thorough` the
    full-size overrides; `headline` names the evidence shown in the CLI table; `engines` names
    the engines the verdict rests on (`ENGINES`), which `theory-check selftest` sabotages.
    """

    id: str
    title: str
    statement: str
    kind: Kind
    expected: bool
    check: CheckFn
    defaults: Mapping[str, Any] = field(default_factory=dict)
    thorough: Mapping[str, Any] = field(default_factory=dict)
    headline: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The tolerance rule of this claim's kind."""
        return RULES[self.kind]

    def params(self, *, thorough: bool = False, **overrides: Any) -> dict[str, Any]:
        """Default (or thorough) parameters with `overrides` applied; unknown names are an error."""
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            raise ValueError(f"{self.id} has no parameter(s) {unknown}; "
                             f"its parameters are {sorted(self.defaults)}")
        return {**self.defaults, **(self.thorough if thorough else {}), **overrides}

    def verify(self, *, thorough: bool = False, seed: int = 0, **overrides: Any) -> ClaimResult:
        """Run the check and return its verdict; it never raises on a failing computation.

        A `ParameterError` naming one of this claim's parameters is the caller's mistake and is
        raised (the CLI turns it into exit code 2). Any other exception inside the check (a
        solver error, an engine's refusal, a bug) gives INCONCLUSIVE naming the exception;
        KeyboardInterrupt and SystemExit propagate. A check that returns anything but an
        `Outcome` is INCONCLUSIVE too.
        """
        params = self.params(thorough=thorough, **overrides)
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        try:
            out = self.check(rng, **params)
            if not isinstance(out, Outcome):
                raise TypeError(f"the check returned {type(out).__name__}, not an Outcome")
        except ParameterError as exc:
            if exc.name.split("[")[0] in params:  # "init_scales[]" names an entry of init_scales
                raise
            out = _raised(exc)
        except Exception as exc:
            out = _raised(exc)
        seconds = time.perf_counter() - t0
        return ClaimResult(
            id=self.id, expected=self.expected, status=out.status, reason=out.reason,
            evidence=dict(out.evidence), counterexample=out.counterexample, seconds=seconds,
            params=params, provenance=provenance(seed=seed, thorough=thorough),
        )


def _raised(exc: BaseException) -> Outcome:
    """INCONCLUSIVE for an exception inside a check, naming it and where it was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
             if tb is not None else "")
    return Outcome(Status.INCONCLUSIVE, f"check raised {type(exc).__name__}{where}: {exc}",
                   {"exception": type(exc).__name__, "exception_message": str(exc)[:500]})


# The engines a claim can rest on; `theory-check selftest` has sabotages for each.
ENGINES: tuple[str, ...] = ("model", "symbolic", "flow", "moments", "train")

REGISTRY: dict[str, Claim] = {}


def _order(claim_id: str) -> tuple[int, int]:
    m = re.fullmatch(r"([CN])(\d+)", claim_id)
    if not m:
        raise ValueError(f"claim id must look like C<n> or N<n>; got {claim_id!r}")
    return (0 if m[1] == "C" else 1, int(m[2]))


def claim(
    id: str, *, title: str, statement: str, kind: Kind, expected: bool | None = None,
    defaults: Mapping[str, Any] | None = None, thorough: Mapping[str, Any] | None = None,
    headline: Iterable[str] = (), engines: Iterable[str] = (), tags: Iterable[str] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated `check(rng, **params) -> Outcome` as claim `id`.

    `expected` defaults to True for C-ids and False for N-ids (negative controls); `engines`
    (a subset of `ENGINES`) are the engines its verdict rests on; `tags` are free labels
    (e.g. "beyond" for claims outside the paper's theory).
    """
    _order(id)
    engines = tuple(engines)
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise ValueError(f"claim {id}: unknown engine(s) {unknown}; engines are {list(ENGINES)}")

    def deco(fn: CheckFn) -> CheckFn:
        if id in REGISTRY:
            raise ValueError(f"claim {id} is registered twice")
        REGISTRY[id] = Claim(
            id=id, title=title, statement=statement, kind=kind,
            expected=id.startswith("C") if expected is None else expected,
            check=fn, defaults=dict(defaults or {}), thorough=dict(thorough or {}),
            headline=tuple(headline), engines=engines, tags=tuple(tags),
        )
        return fn

    return deco


def all_claims() -> list[Claim]:
    """Every registered claim, C1…C11 then N1…N5."""
    return [REGISTRY[i] for i in sorted(REGISTRY, key=_order)]


def get(claim_id: str) -> Claim:
    """The claim with this id, or ValueError listing the valid ids."""
    key = claim_id.strip().upper()
    if key not in REGISTRY:
        valid = ", ".join(c.id for c in all_claims())
        raise ValueError(f"unknown claim id {claim_id!r}; valid ids: {valid}")
    return REGISTRY[key]
