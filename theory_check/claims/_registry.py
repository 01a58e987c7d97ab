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
           "is_builtin_id", "jsonable", "judge"]


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
    source: str = ""  # the module that defines `check` (for a user claim file, its load name)

    @property
    def builtin(self) -> bool:
        """True for the project's own claims (ids C<n>, N<n>); False for a namespaced user claim."""
        return is_builtin_id(self.id)

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

_BUILTIN_ID = re.compile(r"([CN])(\d+)")
# A user id is namespaced: two or more dot-separated parts, e.g. "mylab.L1" or "my-lab.rank.R2".
_USER_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)+")


def is_builtin_id(claim_id: str) -> bool:
    """True for the ids of the project's own claims: C<n> (claims) and N<n> (negative controls)."""
    return _BUILTIN_ID.fullmatch(claim_id) is not None


def _order(claim_id: str) -> tuple[int, int, int, str]:
    """Sort key: built-ins first (C1…C<n>, then N1…N<n>), then user ids in lexicographic order."""
    m = _BUILTIN_ID.fullmatch(claim_id)
    if m:
        return (0, 0 if m[1] == "C" else 1, int(m[2]), "")
    if _USER_ID.fullmatch(claim_id):
        return (1, 0, 0, claim_id)
    raise ValueError(f"claim id must be C<n> or N<n> (built-in claims) or namespaced like "
                     f"'mylab.L1' (user claims: letters, digits, _ and -, parts joined by dots); "
                     f"got {claim_id!r}")


def claim(
    id: str, *, statement: str, kind: Kind | str, title: str | None = None,
    expected: bool | None = None, defaults: Mapping[str, Any] | None = None,
    thorough: Mapping[str, Any] | None = None, headline: Iterable[str] = (),
    engines: Iterable[str] = (), tags: Iterable[str] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated `check(rng, **params) -> Outcome` as claim `id`.

    Built-in ids are C<n> (expected True) and N<n> (negative controls, expected False); a user
    claim has a namespaced id such as "mylab.L1" and must say `expected=` (True: must PASS,
    False: a negative control that must FAIL). `kind` fixes the judging rule (`RULES`);
    `defaults` are the check's keyword parameters, `thorough` full-size overrides; `title`
    defaults to the statement; `engines` (a subset of `ENGINES`) are the engines its verdict
    rests on; `tags` are free labels (e.g. "beyond" for claims outside the paper's theory).
    Registering an id again from the module that registered it replaces the claim (a reload);
    from another module it is an error.
    """
    _order(id)
    builtin = is_builtin_id(id)
    if expected is None:
        if not builtin:
            raise ValueError(f"claim {id}: a user claim must say expected=True (it must PASS) or "
                             "expected=False (a negative control: it must FAIL)")
        expected = id.startswith("C")
    if not isinstance(expected, bool):
        raise ValueError(f"claim {id}: expected must be True or False; got {expected!r}")
    try:
        kind = Kind(kind)
    except ValueError:
        raise ValueError(f"claim {id}: kind must be one of {[k.value for k in Kind]}; "
                         f"got {kind!r}") from None
    engines = tuple(engines)
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise ValueError(f"claim {id}: unknown engine(s) {unknown}; engines are {list(ENGINES)}")
    thorough = dict(thorough or {})
    defaults = dict(defaults or {})
    extra = sorted(set(thorough) - set(defaults))
    if extra:
        raise ValueError(f"claim {id}: thorough names parameter(s) {extra} missing from defaults")

    def deco(fn: CheckFn) -> CheckFn:
        if not callable(fn):
            raise ValueError(f"claim {id}: @claim decorates a check function, not {type(fn).__name__}")
        source = getattr(fn, "__module__", "") or ""
        old = REGISTRY.get(id)
        if old is not None and old.source != source:
            raise ValueError(f"claim {id} is registered twice: by {old.source or '?'} and by "
                             f"{source or '?'}")
        REGISTRY[id] = Claim(
            id=id, title=title or statement, statement=statement, kind=kind, expected=expected,
            check=fn, defaults=defaults, thorough=thorough, headline=tuple(headline),
            engines=engines, tags=tuple(tags), source=source,
        )
        return fn

    return deco


def all_claims() -> list[Claim]:
    """Every registered claim: C1…C<n>, N1…N<n>, then user claims sorted by id."""
    return [REGISTRY[i] for i in sorted(REGISTRY, key=_order)]


def builtin_claims() -> list[Claim]:
    """The project's own claims (C<n>, N<n>), in order."""
    return [c for c in all_claims() if c.builtin]


def user_claims() -> list[Claim]:
    """The registered user claims (namespaced ids), sorted by id."""
    return [c for c in all_claims() if not c.builtin]


def get(claim_id: str) -> Claim:
    """The claim with this id (built-in ids in any case; user ids exactly, or case-insensitively
    if unique), or ValueError listing the valid ids."""
    key = claim_id.strip()
    if key in REGISTRY:
        return REGISTRY[key]
    if key.upper() in REGISTRY and is_builtin_id(key.upper()):
        return REGISTRY[key.upper()]
    folded = [i for i in REGISTRY if i.casefold() == key.casefold()]
    if len(folded) == 1:
        return REGISTRY[folded[0]]
    valid = ", ".join(c.id for c in all_claims())
    raise ValueError(f"unknown claim id {claim_id!r}; valid ids: {valid}")
