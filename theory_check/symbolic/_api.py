"""One entry point per job: `derive` (equations, laws, completeness for one case) and `census`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from theory_check._validate import check_int
from theory_check.results import NotebookRepr
from theory_check.symbolic._cost import estimate_seconds
from theory_check.symbolic._derive import GradientFlow, gradient_flow
from theory_check.symbolic._laws import LawSpace, discover_laws
from theory_check.symbolic._lie import LieCensus, lie_census
from theory_check.symbolic._models import Model, flow_text, poly_text
from theory_check.symbolic._systems import MAX_TERMS_SYMPY, n_params, rnn_system, validate


def predicted_laws(param: str, d: int, k: int) -> int:
    """proofs/theory.md C3's prediction: D - 1 for k = 1; d(d+1)/2 (full), d (diagonal), 0 (balanced)."""
    if k == 1:
        return n_params(param, d) - 1
    return {"full": d * (d + 1) // 2, "diagonal": d, "balanced": 0}[param]


@dataclass(frozen=True)
class Derivation(NotebookRepr):
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

    @property
    def certified(self) -> bool:
        """The count D - dim Lie is exact (proven laws reach the upper bound)."""
        return bool(self.census.certified)

    def __str__(self) -> str:
        # print(r) must not dump the laws, census and flow (several KB): the counts that matter
        return (f"Derivation(param={self.param}, d={self.d}, k={self.k}, D={self.census.n_vars}, "
                f"laws={self.census.n_laws}, certified={self.certified})")

    def _repr_rows(self) -> list[tuple[str, str]]:
        c = self.census
        return [("param", self.param), ("d", str(self.d)), ("k", str(self.k)), ("D", str(c.n_vars)),
                ("conserved quadratic forms", str(self.laws.dim)), ("dim Lie ≥", str(c.lie_dim)),
                ("independent laws (D - dim Lie)", str(c.n_laws)), ("certified", str(self.certified)),
                ("seconds", f"{self.seconds:.3g}"), ("seed", str(self.seed))]

    def equations(self) -> list[str]:
        """g_j and dθ_i/dt as text in sympy syntax (from the flint polynomials, any size)."""
        system = rnn_system(self.param, self.d, self.k)
        return ([f"g_{j} = {poly_text(g)}" for j, g in enumerate(system.g)]
                + flow_text(system))

    def to_json(self) -> dict[str, Any]:
        """The JSON fields of `derive --format json` (equations as text, r_j = g_j - w_j)."""
        return {
            "param": self.param, "d": self.d, "k": self.k, "n_params": self.census.n_vars,
            "conserved_quadratic_forms": list(self.laws.strings),
            "n_conserved_quadratic": self.laws.dim,
            "lie_algebra_dim": self.census.lie_dim,
            "n_independent_laws": self.census.n_laws,
            "matches_balancedness": bool(self.laws.matches_expected),
            "certified": self.certified,
            "lower_bound": self.census.lower,
            "equations": self.equations(),
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
            f"dim Lie{{∇g_0, …, ∇g_{self.k - 1}}}(θ0) ≥ {c.lie_dim} (rank mod 2⁶¹-1 at θ0; bracket depth "
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
           on_stage: Callable[[str], None] | None = None, degree: int = 2) -> Derivation:
    """Derive the gradient flow (if `equations`), discover the conserved polynomials of degree
    ≤ `degree` (2: quadratic forms) and count the independent laws by D - dim Lie for one case.
    Deterministic given `seed`.

    Raises ValueError before any long computation if the case is beyond the documented limits
    (`theory_check.symbolic.MAX_TERMS`, an estimated `MAX_SECONDS` of CPU time from
    `estimate_seconds`, and `MAX_TERMS_SYMPY` when equations are requested).
    `on_stage(name)` is called as each of the three stages starts (for progress display).
    """
    param, d, k = validate(param, d, k)
    estimate_seconds(param, d, k)  # refuses what the cost model puts beyond MAX_SECONDS
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
    laws = discover_laws(system, rng, degree=degree)
    stage("computing the Lie algebra rank")
    census_ = lie_census(system, rng, laws=laws.laws)
    return Derivation(param, d, k, flow, laws, census_, time.perf_counter() - t0, seed)


def conserved_quadratic_forms(param: str, d: int, k: int, *, seed: int = 0) -> LawSpace:
    """All conserved quadratic + linear forms of the flow of L_k (proven; see `discover_laws`)."""
    param, d, k = validate(param, d, k)
    return discover_laws(rnn_system(param, d, k), np.random.default_rng(seed))


@dataclass(frozen=True)
class CensusRow(NotebookRepr):
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

    def _repr_rows(self) -> list[tuple[str, str]]:
        return [*super()._repr_rows(), ("agrees", str(self.agrees))]


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


@dataclass(frozen=True)
class ModelDerivation(NotebookRepr):
    """`derive_model`'s result: a model's gradient flow, its proven laws and their census.

    `laws`: every conserved polynomial of degree 1..`laws.degree` (proven identically);
    `census`: D - dim Lie bounds at a random point; `certified`: they meet, so `n_laws` is the
    exact number of independent conservation laws near generic θ; `predicted`: the model's own
    prediction (`Model.expected_count`), and `agrees` = certified and equal to it.
    """

    model: Model
    laws: LawSpace
    census: LieCensus
    seconds: float
    seed: int

    @property
    def certified(self) -> bool:
        """The count D - dim Lie is exact."""
        return bool(self.census.certified)

    @property
    def n_laws(self) -> int:
        """D - dim Lie (exact when certified, else an upper bound)."""
        return self.census.n_laws

    @property
    def predicted(self) -> int | None:
        """The model's predicted number of independent laws (None: no prediction)."""
        return self.model.expected_count

    @property
    def agrees(self) -> bool | None:
        """Certified and equal to the prediction (None without a prediction)."""
        return None if self.predicted is None else self.certified and self.n_laws == self.predicted

    def __str__(self) -> str:
        # print(r) must not dump the model, laws and census (several KB): the counts that matter
        return (f"ModelDerivation(model={self.model.name}, D={self.census.n_vars}, "
                f"laws={self.n_laws}, certified={self.certified}, agrees={self.agrees})")

    def _repr_rows(self) -> list[tuple[str, str]]:
        c = self.census
        return [("model", self.model.name), ("D", str(c.n_vars)),
                (f"conserved polynomials (degree ≤ {self.laws.degree})", str(self.laws.dim)),
                ("dim Lie ≥", str(c.lie_dim)), ("independent laws (D - dim Lie)", str(c.n_laws)),
                ("certified", str(self.certified)), ("predicted", str(self.predicted)),
                ("agrees", str(self.agrees)), ("seconds", f"{self.seconds:.3g}"),
                ("seed", str(self.seed))]

    def equations(self) -> list[str]:
        """Outputs φ_j and dθ_i/dt = -2 Σ_j r_j ∂φ_j/∂θ_i as text (r_j = φ_j - y_j)."""
        return [*self.model.outputs_text(), *self.model.flow_text()]

    def to_json(self) -> dict[str, Any]:
        """The JSON fields of `derive --model … --format json`."""
        c, lw = self.census, self.laws
        return {
            "model": self.model.name, "description": self.model.description,
            "n_params": c.n_vars, "parameters": list(self.model.names),
            "n_outputs": self.model.n_outputs, "equations": self.equations(),
            "degree": lw.degree, "conserved_laws": list(lw.strings), "n_conserved": lw.dim,
            "known_laws": self.model.system.expected_label,
            "matches_known_laws": bool(lw.matches_expected),
            "lie_algebra_dim": c.lie_dim, "n_independent_laws": c.n_laws,
            "lower_bound": c.lower, "certified": self.certified,
            "predicted": self.predicted, "agrees": self.agrees,
            "seconds": round(self.seconds, 4), "seed": self.seed,
        }

    def _summary_lines(self) -> list[str]:
        c, lw = self.census, self.laws
        cert = ("certified: proven laws give the lower bound" if c.certified else
                f"NOT certified: only {c.lower} ≤ #laws ≤ {c.upper}")
        pred = "no prediction" if self.predicted is None else f"prediction {self.predicted}"
        return [
            f"Conserved polynomials of degree ≤ {lw.degree} (∇q·∇φ_j ≡ 0 for all j; {lw.dim}, "
            f"each re-checked symbolically; {lw.n_blocks} graded blocks, {lw.n_points} exact "
            "random points):",
            *[f"- `{s}`" for s in lw.strings],
            "",
            f"Equal to the span of the known laws ({self.model.system.expected_label}): "
            f"{lw.matches_expected}",
            f"dim Lie{{∇φ_j}}(θ0) ≥ {c.lie_dim} (rank mod 2⁶¹-1 at θ0; bracket depth {c.depth}); "
            f"D = {c.n_vars}",
            f"Independent conservation laws: D - dim Lie = {c.n_laws} ({cert}); {pred}",
        ]

    def to_markdown(self) -> str:
        """Equations, laws and completeness as markdown."""
        m = self.model
        lines = [f"## Gradient flow of L = Σ_j (φ_j - y_j)², {m.name}", "", m.description, "",
                 f"Parameters θ ({m.n_params}): `{', '.join(m.names)}`", "",
                 "Outputs, and dθ/dt = -∇L with r_j = φ_j - y_j:", "",
                 *[f"- `{e}`" for e in self.equations()], "", "## Conservation laws", "",
                 *self._summary_lines(), "", f"({self.seconds:.2f} s, seed {self.seed})"]
        return "\n".join(lines)

    def to_latex(self) -> str:
        """Outputs and laws as LaTeX."""
        import sympy

        outs = self.model.sympy_outputs()
        rows = [rf"{_tex_label(lab)} &= {sympy.latex(e)}"
                for lab, e in zip(self.model.output_labels, outs, strict=True)]
        laws = [rf"q_{{{i + 1}}} &= {sympy.latex(sympy.sympify(s))}"
                for i, s in enumerate(self.laws.strings)]
        return "\n".join([
            "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}",
            f"% conserved polynomials of degree <= {self.laws.degree} ({self.laws.dim})",
            "\\begin{align*}\n" + " \\\\\n".join(laws) + "\n\\end{align*}",
            f"% D - dim Lie = {self.census.n_vars} - {self.census.lie_dim} = {self.census.n_laws} "
            f"(certified: {self.census.certified})"])


def _tex_label(label: str) -> str:
    return "\\mathrm{" + label.replace("_", "\\_").replace("^", "\\^{}") + "}"


def derive_model(model: Model, *, degree: int = 2, seed: int = 0,
                 on_stage: Callable[[str], None] | None = None) -> ModelDerivation:
    """Discover and prove the conserved polynomials (degree ≤ `degree`) of a model's gradient
    flow and count its independent laws by D - dim Lie{∇φ_j} (Marcotte–Gribonval–Peyré).

    `model`: from `theory_check.symbolic.model(params, outputs)` or a built-in (`mimo_rnn`,
    `complex_diagonal_rnn`, `deep_linear`, `projected_rnn`). Deterministic given `seed`.
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a theory_check.symbolic.Model; got {type(model).__name__}")
    seed = check_int("seed", seed, minimum=0)
    stage = on_stage or (lambda _name: None)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    stage("discovering conserved polynomials")
    laws = discover_laws(model.system, rng, degree=degree)
    stage("computing the Lie algebra rank")
    census_ = lie_census(model.system, rng, laws=laws.laws)
    return ModelDerivation(model, laws, census_, time.perf_counter() - t0, seed)
