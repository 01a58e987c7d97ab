"""Gradient-flow equations of L_k derived with sympy, their display, and compiled callables.

L_k(θ; w) = Σ_{j<k} (g_j(θ) - w_j)², g_j = C A^j B, with the teacher's targets w_j free symbols.
The right-hand side is obtained by `sympy.diff` of L_k: dθ_i/dt = -G⁻¹_ii ∂L/∂θ_i, where G = I
for `full` and `diagonal`, and for `balanced` (A = Aᵀ, B = Cᵀ) G is the metric the embedding
into (A, B, C) induces (2 on off-diagonal a_ij and on b), so that the equations are the full
gradient flow restricted to the invariant manifold (C4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import sympy

from theory_check.symbolic._systems import MAX_TERMS_SYMPY, validate, variable_names


@dataclass(frozen=True, eq=False)
class GradientFlow:
    """The gradient flow of L_k in one parameterization, derived symbolically.

    `theta`: the D parameter symbols; `w`: targets w_0..w_{k-1}; `A, B, C`: structured sympy
    matrices; `g`: expanded g_j; `loss`: L_k (unexpanded sum of squares); `rhs`: dθ/dt
    (sympy.diff of `loss`); `metric_inv`: G⁻¹ diagonal; `r`: residual symbols r_j = g_j - w_j;
    `grad_g[j][i]` = ∂g_j/∂θ_i, so `rhs_i = -2 G⁻¹_ii Σ_j r_j ∂g_j/∂θ_i` (`rhs_compact`).
    """

    param: str
    d: int
    k: int
    theta: tuple[sympy.Symbol, ...]
    w: tuple[sympy.Symbol, ...]
    A: sympy.ImmutableMatrix
    B: sympy.ImmutableMatrix
    C: sympy.ImmutableMatrix
    g: tuple[sympy.Expr, ...]
    loss: sympy.Expr
    rhs: tuple[sympy.Expr, ...]
    metric_inv: tuple[sympy.Rational, ...]
    r: tuple[sympy.Symbol, ...]
    grad_g: tuple[tuple[sympy.Expr, ...], ...]
    _compiled: dict = field(default_factory=dict, repr=False)

    @property
    def n_params(self) -> int:
        """D, the number of free parameters."""
        return len(self.theta)

    def rhs_compact(self) -> tuple[sympy.Expr, ...]:
        """dθ_i/dt written with residuals: -2 G⁻¹_ii Σ_j r_j ∂g_j/∂θ_i."""
        return tuple(-2 * self.metric_inv[i] * sympy.Add(*(self.r[j] * self.grad_g[j][i]
                                                            for j in range(self.k)))
                     for i in range(self.n_params))

    def numpy_rhs(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """Compiled `f(theta, w) -> dθ/dt` (float64 arrays of length D and k)."""
        if "numpy" not in self._compiled:
            self._compiled["numpy"] = self._compile("numpy")
        return self._compiled["numpy"]

    def mpmath_rhs(self) -> Callable[[list, list], list]:
        """Compiled `f(theta, w) -> dθ/dt` on mpmath numbers (precision from `mpmath.mp.dps`)."""
        if "mpmath" not in self._compiled:
            self._compiled["mpmath"] = self._compile("mpmath")
        return self._compiled["mpmath"]

    def _compile(self, module: str) -> Callable:
        # g_j and ∂g_j/∂θ_i are compiled once; the residual contraction is cheap arithmetic.
        fg = sympy.lambdify([self.theta], list(self.g), modules=module)
        fdg = sympy.lambdify([self.theta], [e for row in self.grad_g for e in row], modules=module)
        D, k, minv = self.n_params, self.k, [float(m) for m in self.metric_inv]
        if module == "numpy":
            def f_np(th, w):
                th = list(np.asarray(th, dtype=float))
                res = np.asarray(fg(th), dtype=float) - np.asarray(w, dtype=float)
                J = np.asarray(fdg(th), dtype=float).reshape(k, D)
                return -2.0 * np.asarray(minv) * (res @ J)
            return f_np

        import mpmath

        minv_mp = [mpmath.mpf(m.p) / m.q for m in self.metric_inv]

        def f_mp(th, w):
            gv, J = fg(list(th)), fdg(list(th))
            res = [gv[j] - w[j] for j in range(k)]
            return [-2 * minv_mp[i] * mpmath.fsum(res[j] * J[j * D + i] for j in range(k))
                    for i in range(D)]
        return f_mp

    def pack(self, A: np.ndarray, B: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """θ as a vector (in `theta` order) from matrices; C is ignored for `balanced`."""
        A = np.asarray(A)
        B = np.asarray(B).reshape(-1)
        if self.param == "full":
            parts = [A.reshape(-1), B, np.asarray(C).reshape(-1)]
        elif self.param == "diagonal":
            parts = [np.diag(A), B, np.asarray(C).reshape(-1)]
        else:
            parts = [A[np.triu_indices(self.d)], B]
        return np.concatenate(parts)

    def to_markdown(self) -> str:
        """The equations in markdown (sympy `sstr` notation in code spans)."""
        lines = [f"## Gradient flow of L_{self.k}, {self.param} parameterization, d = {self.d}",
                 "", f"Parameters θ ({self.n_params}): `{', '.join(map(str, self.theta))}`", "",
                 f"L_{self.k} = Σ_{{j<{self.k}}} (g_j - w_j)²,  r_j = g_j - w_j", ""]
        lines += [f"- `g_{j} = {sympy.sstr(gj)}`" for j, gj in enumerate(self.g)]
        lines += ["", "dθ/dt = -G⁻¹ ∇L:" if self.param == "balanced" else "dθ/dt = -∇L:", ""]
        lines += [f"- `d{t}/dt = {sympy.sstr(e)}`" for t, e in zip(self.theta, self.rhs_compact(),
                                                                      strict=True)]
        return "\n".join(lines)

    def to_latex(self) -> str:
        """The equations as a LaTeX `align*` block."""
        rows = [rf"g_{{{j}}} &= {sympy.latex(gj)}" for j, gj in enumerate(self.g)]
        rows += [rf"\dot{{{sympy.latex(t)}}} &= {sympy.latex(e)}"
                 for t, e in zip(self.theta, self.rhs_compact(), strict=True)]
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def _structured(param: str, d: int, theta: tuple) -> tuple[sympy.Matrix, sympy.Matrix, sympy.Matrix]:
    sym = dict(zip(map(str, theta), theta, strict=True))
    r = range(1, d + 1)
    if param == "full":
        A = sympy.Matrix(d, d, lambda i, j: sym[f"a{i + 1}{j + 1}"])
    elif param == "diagonal":
        A = sympy.diag(*(sym[f"a{i}"] for i in r))
    else:
        A = sympy.Matrix(d, d, lambda i, j: sym[f"a{min(i, j) + 1}{max(i, j) + 1}"])
    B = sympy.Matrix([sym[f"b{i}"] for i in r])
    C = B.T if param == "balanced" else sympy.Matrix([[sym[f"c{i}"] for i in r]])
    return A, B, C


@cache
def gradient_flow(param: str, d: int, k: int) -> GradientFlow:
    """Derive L_k and dθ/dt = -G⁻¹∇L_k symbolically (validated; see `_systems` for the limits)."""
    param, d, k = validate(param, d, k, limit=MAX_TERMS_SYMPY)
    theta = tuple(sympy.symbols(variable_names(param, d)))
    w = tuple(sympy.symbols(f"w_0:{k}"))
    r = tuple(sympy.symbols(f"r_0:{k}"))
    A, B, C = _structured(param, d, theta)
    # g_j = C A^j B in sympy's sparse polynomial ring (fast exact arithmetic), u ← A u.
    R, *x = sympy.ring(theta, sympy.ZZ)
    to_ring = dict(zip(theta, x, strict=True))
    Ar = [[R(A[i, j].xreplace(to_ring)) if A[i, j] != 0 else R.zero for j in range(d)] for i in range(d)]
    Br = [to_ring[B[i, 0]] for i in range(d)]
    Cr = [to_ring[C[0, i]] for i in range(d)]
    g_ring, u = [], Br
    for _ in range(k):
        g_ring.append(sum((Cr[i] * u[i] for i in range(d)), R.zero))
        u = [sum((Ar[i][m] * u[m] for m in range(d)), R.zero) for i in range(d)]
    g = tuple(gj.as_expr() for gj in g_ring)
    grad_g = tuple(tuple(gj.diff(xi).as_expr() for xi in x) for gj in g_ring)
    # Chain rule by sympy: L as a function of placeholders G_j, differentiated, then ∂G_j/∂θ_i.
    G = sympy.symbols(f"G_0:{k}")
    loss_G = sympy.Add(*((Gj - wj) ** 2 for Gj, wj in zip(G, w, strict=True)))
    dL_dG = [sympy.diff(loss_G, Gj) for Gj in G]
    loss = loss_G.xreplace(dict(zip(G, g, strict=True)))
    if param == "balanced":
        minv = tuple(sympy.Integer(1) if str(t)[0] == "a" and str(t)[1] == str(t)[2]
                     else sympy.Rational(1, 2) for t in theta)
    else:
        minv = tuple(sympy.Integer(1) for _ in theta)
    sub_g = dict(zip(G, g, strict=True))
    rhs = tuple(-m * sympy.Add(*(dL_dG[j].xreplace(sub_g) * grad_g[j][i] for j in range(k)))
                for i, m in enumerate(minv))
    return GradientFlow(param, d, k, theta, w, sympy.ImmutableMatrix(A), sympy.ImmutableMatrix(B),
                        sympy.ImmutableMatrix(C), tuple(g), loss, rhs, minv, r, grad_g)
