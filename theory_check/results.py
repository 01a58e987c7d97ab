"""The ground floor of every result: one `Status` vocabulary, `jsonable`, notebook reprs.

Every engine and the claim registry report with the same `Status` enum, so a reader learns one
vocabulary: claim verdicts (PASS, FAIL, INCONCLUSIVE) and engine outcomes (exact, certified,
unbounded, inconclusive; ok, converged, max_steps, diverged, interrupted). It is a `StrEnum`, so
`status == "certified"` and JSON round trips keep working. Nothing here imports an engine.

JSON convention (`jsonable`): numpy scalars and arrays become numbers and lists; a `Fraction`
becomes its exact string ``"p/q"``; a non-finite float becomes the string ``"inf"``, ``"-inf"``
or ``"nan"`` (JSON has no such numbers); enums their value; anything else its `str`.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any

import numpy as np


class Status(StrEnum):
    """What a result says: a claim's verdict, or how an engine's computation ended.

    Verdicts (claims only): PASS, FAIL, INCONCLUSIVE. Decisions (moments): EXACT (exact rational
    arithmetic), CERTIFIED (numeric bounds that meet within the stated tolerance), UNBOUNDED,
    INCONCLUSIVE (bounds that do not meet: no decision). Runs (flow, train): OK (reached the
    horizon), CONVERGED (loss below tolerance), MAX_STEPS (step budget spent before converging),
    DIVERGED (non-finite or above the divergence bound), INTERRUPTED (Ctrl-C; partial result).
    """

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    EXACT = "exact"
    CERTIFIED = "certified"
    UNBOUNDED = "unbounded"
    UNDECIDED = "inconclusive"
    OK = "ok"
    CONVERGED = "converged"
    MAX_STEPS = "max_steps"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"

    def __str__(self) -> str:
        return self.value

    @property
    def is_verdict(self) -> bool:
        """True for the three claim verdicts."""
        return self in _VERDICTS

    @property
    def message(self) -> str:
        """What this status means, and what to do about it."""
        return _MESSAGES[self]


_VERDICTS = frozenset({Status.PASS, Status.FAIL, Status.INCONCLUSIVE})

_MESSAGES: dict[Status, str] = {
    Status.PASS: "the claim holds by its rule (see evidence)",
    Status.FAIL: "the claim is refuted (see the counterexample)",
    Status.INCONCLUSIVE: "no verdict: a computation could not decide (see reason)",
    Status.EXACT: "decided in exact rational arithmetic",
    Status.CERTIFIED: "numeric inner and outer bounds meet within the stated tolerance",
    Status.UNBOUNDED: "the quantity is unbounded (a certificate of unboundedness is in the evidence)",
    Status.UNDECIDED: "the numeric bounds do not meet: no decision; use exact input or larger dps",
    Status.OK: "the run reached its horizon",
    Status.CONVERGED: "the loss fell below the convergence tolerance",
    Status.MAX_STEPS: "the step budget ran out before convergence: raise max_steps or the step size",
    Status.DIVERGED: "a value became non-finite or exceeded the divergence bound: lower the step size",
    Status.INTERRUPTED: "stopped by Ctrl-C; the partial result is kept",
}


def as_float(x: Any) -> float | None:
    """`x` as a Python float if it is a real number of any type (numpy, mpmath, gmpy2, Fraction)."""
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    if isinstance(x, (str, bytes)):  # "0.1" is text, not a number: never judged as one
        return None
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return None


def is_finite_number(x: Any) -> bool:
    """True iff `x` converts to a finite float (a huge exact Fraction counts as finite)."""
    if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
        return True
    v = as_float(x)
    return v is not None and math.isfinite(v)


def jsonable(x: Any) -> Any:
    """Convert numpy values, Fractions, enums and tuples to JSON (convention in the module doc)."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()]
    if isinstance(x, Enum):
        return x.value
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else str(v)
    if x is None or isinstance(x, str):
        return x
    return str(x)


def _short(v: Any, width: int = 80) -> str:
    """A one-line rendering of a field value for reprs: numbers to 4 significant digits."""
    if isinstance(v, Enum):
        text = str(v.value)
    elif isinstance(v, (float, np.floating)):
        text = f"{float(v):.4g}"
    elif isinstance(v, Fraction):
        text = str(v) if len(str(v)) <= 24 else f"{float(v):.6g}"
    elif isinstance(v, np.ndarray):
        text = f"array{v.shape} {np.array2string(v.ravel()[:6], precision=4)}"
        text += " …" if v.size > 6 else ""
    elif isinstance(v, Mapping):
        text = f"{{{len(v)} entries}}"
    else:
        text = str(v)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class NotebookRepr:
    """Mixin: `_repr_markdown_` and `_repr_html_` tables of a dataclass's fields for notebooks."""

    def _repr_rows(self) -> list[tuple[str, str]]:
        return [(f.name, _short(getattr(self, f.name))) for f in dataclasses.fields(self)  # type: ignore[arg-type]
                if f.repr]

    def _repr_markdown_(self) -> str:
        esc = [(k, v.replace("|", "\\|")) for k, v in self._repr_rows()]
        rows = "\n".join(f"| {k} | {v} |" for k, v in esc)
        return f"**{type(self).__name__}**\n\n| field | value |\n|---|---|\n{rows}\n"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self._repr_rows())
        return f"<b>{html.escape(type(self).__name__)}</b><table>{rows}</table>"
