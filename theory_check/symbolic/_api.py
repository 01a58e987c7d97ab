"""One entry point per job: `derive` (equations, laws, completeness for one case) and `census`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory_check._validate import check_int
from theory_check.symbolic._derive import GradientFlow, gradient_flow
from theory_check.symbolic._laws import LawSpace, discover_laws
from theory_check.symbolic._lie import LieCensus, lie_census
from theory_check.symbolic._systems import MAX_TERMS_SYMPY, n_params, rnn_system, validate


def predicted_laws(param: str, d: int, k: int) -> int:
    """THEORY.md C3's prediction: D - 1 for k = 1; d(d+1)/2 (full), d (diagonal), 0 (balanced)."""
    if k == 1:
        return n_params(param, d) - 1
    return {"full": d * (d + 1) // 2, "diagonal": d, "balanced": 0}[param]


@dataclass(frozen=True)
class Derivation:
    """Everything `theory-check derive` reports for one (param, d, k).

    `flow` is None when the equations were not requested. `laws`: the conserved quadratic
    forms (proven); `census`: the completeness bounds; `seconds`: wall time of the whole job.
    """

    param: str
    d: int
    k: int
    flow: GradientFlow | None
    laws: LawSpace
    census: LieCensus
    seconds: float
    seed: int

    def to_json(self) -> dict[str, Any]:
        """The JSON fields of `derive --format json`, exactly as specified in the issue."""
        return {
            "param": self.param, "d": self.d, "k": self.k, "n_params": self.census.n_vars,
            "conserved_quadratic_forms": list(self.laws.strings),
            "n_conserved_quadratic": self.laws.dim,
            "lie_algebra_dim": self.census.lie_dim,
            "n_independent_laws": self.census.n_laws,
            "matches_balancedness": bool(self.laws.matches_expected),
            "seconds": round(self.seconds, 4),
        }

    def _summary_lines(self) -> list[str]:
        c, lw = self.census, self.laws
        cert = ("certified: proven laws give the lower bound" if c.certified else
                f"NOT certified: only {c.lower} ≤ #laws ≤ {c.upper}")
        return [
            f"Conserved quadratic forms (ansatz θᵀMθ + lᵀθ, ∇q·∇g_j ≡ 0 for all j; {lw.dim}, "
            f"each re-checked symbolically; {lw.n_points} exact random points):",
            *[f"- `{s}`" for s in lw.strings],
            "",
            f"Equal to the span of the known laws ({rnn_system(self.param, self.d, 1).expected_label}): "
            f"{lw.matches_expected}",
            f"dim Lie{{∇g_0, …, ∇g_{self.k - 1}}}(θ0) = {c.lie_dim} (exact rank, bracket depth "
            f"{c.depth}); D = {c.n_vars}",
            f"Independent conservation laws: D - dim Lie = {c.n_laws} ({cert}); "
            f"prediction {predicted_laws(self.param, self.d, self.k)}",
        ]

    def to_markdown(self) -> str:
        """Equations (if derived), laws and completeness as markdown."""
        head = [self.flow.to_markdown(), ""] if self.flow is not None else []
        return "\n".join([*head, "## Conservation laws", "", *self._summary_lines(),
                          "", f"({self.seconds:.2f} s, seed {self.seed})"])

    def to_latex(self) -> str:
        """Equations and laws as LaTeX."""
        import sympy

        laws = [sympy.latex(sympy.sympify(s)) for s in self.laws.strings]
        body = [self.flow.to_latex()] if self.flow is not None else []
        body.append("% conserved quadratic forms (" + str(self.laws.dim) + ")")
        body.append("\\begin{align*}\n" + " \\\\\n".join(f"q_{{{i + 1}}} &= {s}"
                                                       for i, s in enumerate(laws)) + "\n\\end{align*}")
        body.append(f"% D - dim Lie = {self.census.n_vars} - {self.census.lie_dim} = "
                    f"{self.census.n_laws} (certified: {self.census.certified})")
        return "\n".join(body)


def derive(param: str, d: int, k: int, *, seed: int = 0, equations: bool = True,
           on_stage: Callable[[str], None] | None = None) -> Derivation:
    """Derive the gradient flow (if `equations`), discover the conserved quadratic forms and
    count the independent laws by D - dim Lie for one case. Deterministic given `seed`.

    Raises ValueError before any long computation if the case is beyond the documented limits
    (`theory_check.symbolic.MAX_TERMS`, and `MAX_TERMS_SYMPY` when equations are requested).
    `on_stage(name)` is called as each of the three stages starts (for progress display).
    """
    param, d, k = validate(param, d, k)
    if equations:
        validate(param, d, k, limit=MAX_TERMS_SYMPY)
    seed = check_int("seed", seed, minimum=0)
    stage = on_stage or (lambda _name: None)
    t0 = time.perf_counter()
    stage("deriving the gradient flow")
    flow = gradient_flow(param, d, k) if equations else None
    system = rnn_system(param, d, k)
    rng = np.random.default_rng(seed)
    stage("discovering conserved quadratic forms")
    laws = discover_laws(system, rng)
    stage("computing the Lie algebra rank")
    census_ = lie_census(system, rng, laws=laws.laws)
    return Derivation(param, d, k, flow, laws, census_, time.perf_counter() - t0, seed)


def conserved_quadratic_forms(param: str, d: int, k: int, *, seed: int = 0) -> LawSpace:
    """All conserved quadratic + linear forms of the flow of L_k (proven; see `discover_laws`)."""
    param, d, k = validate(param, d, k)
    return discover_laws(rnn_system(param, d, k), np.random.default_rng(seed))


@dataclass(frozen=True)
class CensusRow:
    """One case of the conservation-law census (C3, figure F9)."""

    param: str
    d: int
    k: int
    n_params: int
    n_quadratic: int
    lie_dim: int
    n_laws: int
    lower: int
    certified: bool
    predicted: int

    @property
    def agrees(self) -> bool:
        """Certified and equal to the prediction."""
        return self.certified and self.n_laws == self.predicted


def census(cases: Iterable[tuple[str, int, int]], *, seed: int = 0) -> list[CensusRow]:
    """Completeness counts for each (param, d, k); each case uses its own seeded generator."""
    rows = []
    for i, (param, d, k) in enumerate(cases):
        system = rnn_system(param, d, k)
        rng = np.random.default_rng([seed, i])
        laws = discover_laws(system, rng)
        c = lie_census(system, rng, laws=laws.laws)
        rows.append(CensusRow(param, d, k, c.n_vars, laws.dim, c.lie_dim, c.n_laws, c.lower,
                              c.certified, predicted_laws(param, d, k)))
    return rows
