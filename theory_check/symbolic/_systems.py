"""Exact polynomial models of the linear RNN in python-flint: variables, g_j, gradient fields, Q.

Parameterizations (proofs/theory.md §1–2), variables in this order:
- `full`: A (d×d, row-major `a{i}{j}`), B (`b{i}`), C (`c{i}`); D = d² + 2d.
- `diagonal`: A = diag(a) (`a{i}`), B, C; D = 3d.
- `balanced`: A = Aᵀ (upper triangle `a{i}{j}`, i ≤ j), B = Cᵀ (`b{i}`); D = d(d+1)/2 + d.

Gradient flow of L_k = Σ_{j<k} (g_j - w_j)² is `dθ/dt = -Σ_j 2 r_j V_j` with r_j = g_j - w_j and
fields V_j. For `full` and `diagonal` V_j = ∇g_j. For `balanced` the flow is the full flow
restricted to the invariant manifold M (C4): dA/dt = -∇_A L, dB/dt = -∇_B L there, which in the
coordinates (s, b) is `-G⁻¹∇ℓ` with ℓ = L∘ι and G = diag(1 on a_ii, 2 on a_ij (i<j), 2 on b) the
metric that ι induces. We store the integer fields `F_j = 2G⁻¹∇g_j = 2 V_j` (a constant factor
changes neither conservation laws nor Lie spans).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import flint

from theory_check._validate import check_choice, check_int

PARAMS: tuple[str, ...] = ("full", "diagonal", "balanced")

# Documented limits: beyond them a request is refused before any long computation.
MAX_D = 9            # full/balanced: variable names a{i}{j} stay unambiguous
MAX_D_DIAGONAL = 32  # diagonal: D = 3d ≤ 96
MAX_K = 40
MAX_TERMS = 400_000  # estimated monomials of all ∇g_j together (flint back end)
MAX_TERMS_SYMPY = 60_000  # the same estimate, for sympy expressions (derivation, display)


def n_params(param: str, d: int) -> int:
    """Number of free parameters D of a parameterization."""
    return {"full": d * d + 2 * d, "diagonal": 3 * d, "balanced": d * (d + 1) // 2 + d}[param]


def estimated_terms(param: str, d: int, k: int) -> int:
    """Upper estimate of the monomials in ∇g_0, …, ∇g_{k-1}: Σ_j (#monomials of g_j) · deg g_j.

    g_j = C A^j B is a sum over index paths: d^{j+1} paths (full, balanced), d (diagonal).
    """
    return sum((d if param == "diagonal" else d ** (j + 1)) * (j + 2) for j in range(k))


def validate(param: str, d: object, k: object, *, limit: int = MAX_TERMS) -> tuple[str, int, int]:
    """Check (param, d, k) and the size estimate against `limit`; return them normalised."""
    param = check_choice("param", param, PARAMS)
    d = check_int("d", d, minimum=1, maximum=MAX_D_DIAGONAL if param == "diagonal" else MAX_D)
    k = check_int("k", k, minimum=1, maximum=MAX_K)
    size = estimated_terms(param, d, k)
    if size > limit:
        raise ValueError(f"param={param}, d={d}, k={k} needs ~{size:,} polynomial terms, beyond the "
                         f"documented limit of {limit:,} (reduce d or k)")
    return param, d, k


def variable_names(param: str, d: int) -> tuple[str, ...]:
    """Names of the D parameters in their fixed order (1-based indices)."""
    r = range(1, d + 1)
    if param == "full":
        a = [f"a{i}{j}" for i in r for j in r]
    elif param == "diagonal":
        a = [f"a{i}" for i in r]
    else:
        a = [f"a{i}{j}" for i in r for j in r if i <= j]
    b = [f"b{i}" for i in r]
    c = [] if param == "balanced" else [f"c{i}" for i in r]
    return (*a, *b, *c)


@dataclass(frozen=True, eq=False)
class PolySystem:
    """A polynomial model: D variables, functions g_j (flint), and the integer flow fields F_j.

    `fields[j][i]` is the i-th component of F_j; the gradient flow of Σ (g_j - w_j)² is
    `dθ/dt = -Σ_j r_j F_j · field_factor` (field_factor = 2 for full/diagonal, 1 for balanced).
    `expected_laws` are the known conserved quantities (Q's entries, b_i² - c_i², …).
    The fields must be gradients of the g_j scaled by one constant diagonal metric (true of
    every system built here): the law ansatz reads the sign symmetries off the g_j.
    """

    name: str
    names: tuple[str, ...]
    ctx: flint.fmpz_mpoly_ctx
    g: tuple[flint.fmpz_mpoly, ...]
    fields: tuple[tuple[flint.fmpz_mpoly, ...], ...]
    expected_laws: tuple[flint.fmpz_mpoly, ...]
    expected_label: str
    field_factor: int = 2

    @property
    def n_vars(self) -> int:
        """Number of variables D."""
        return len(self.names)


def _gradient(ctx: flint.fmpz_mpoly_ctx, p: flint.fmpz_mpoly, scale: list[int]) -> tuple:
    return tuple(s * p.derivative(i) for i, s in enumerate(scale))


def _matrices(param: str, d: int, x: tuple) -> tuple[list[list], list, list]:
    """A, B, C as nested lists of flint polynomials."""
    zero = x[0] * 0
    if param == "full":
        A = [[x[i * d + j] for j in range(d)] for i in range(d)]
        off = d * d
    elif param == "diagonal":
        A = [[x[i] if i == j else zero for j in range(d)] for i in range(d)]
        off = d
    else:
        idx, pos = {}, 0
        for i in range(d):
            for j in range(i, d):
                idx[i, j] = idx[j, i] = pos
                pos += 1
        A = [[x[idx[i, j]] for j in range(d)] for i in range(d)]
        off = pos
    B = [x[off + i] for i in range(d)]
    C = B if param == "balanced" else [x[off + d + i] for i in range(d)]
    return A, B, C


def markov_polys(A: list[list], B: list, C: list, k: int) -> tuple:
    """g_j = C A^j B for j < k by repeated products u ← A u (polynomials)."""
    d = len(B)
    u, out = list(B), []
    for _ in range(k):
        out.append(sum((C[i] * u[i] for i in range(1, d)), C[0] * u[0]))
        u = [sum((A[i][m] * u[m] for m in range(1, d)), A[i][0] * u[0]) for i in range(d)]
    return tuple(out)


def q_entries(A: list[list], B: list, C: list) -> list:
    """Entries Q_pq (p ≤ q) of Q = AAᵀ - AᵀA + BBᵀ - CᵀC."""
    d = len(B)
    out = []
    for p in range(d):
        for q in range(p, d):
            s = B[p] * B[q] - C[p] * C[q]
            for r in range(d):
                s += A[p][r] * A[q][r] - A[r][p] * A[r][q]
            out.append(s)
    return out


@cache
def rnn_system(param: str, d: int, k: int) -> PolySystem:
    """The linear RNN with k Markov parameters in the given parameterization (validated)."""
    param, d, k = validate(param, d, k)
    names = variable_names(param, d)
    ctx = flint.fmpz_mpoly_ctx.get(names, "degrevlex")
    x = ctx.gens()
    A, B, C = _matrices(param, d, x)
    g = markov_polys(A, B, C, k)
    if param == "balanced":
        scale = [2 if n.startswith("a") and n[1] == n[2] else 1 for n in names]
        expected: list = []  # Q vanishes identically on M
        label = "Q|_M ≡ 0 (no quadratic law expected)"
        factor = 1
    else:
        scale = [1] * len(names)
        if param == "full":
            expected, label = q_entries(A, B, C), "entries of Q = AAᵀ - AᵀA + BBᵀ - CᵀC"
        else:
            expected = [B[i] ** 2 - C[i] ** 2 for i in range(d)]
            label = "b_i² - c_i²"
        factor = 2
    fields = tuple(_gradient(ctx, gj, scale) for gj in g)
    return PolySystem(f"{param} d={d} k={k}", names, ctx, g, fields, tuple(expected), label, factor)


@cache
def two_layer_system(n: int, h: int, m: int) -> PolySystem:
    """Two-layer linear network x ↦ W2 W1 x (W1: h×n, W2: m×h); g = entries of W2W1.

    Known answer (Marcotte, Gribonval & Peyré 2023): the laws are the entries of W1W1ᵀ - W2ᵀW2.
    """
    n = check_int("n", n, minimum=1, maximum=6)
    h = check_int("h", h, minimum=1, maximum=6)
    m = check_int("m", m, minimum=1, maximum=6)
    names = (*(f"u{i}{j}" for i in range(1, h + 1) for j in range(1, n + 1)),
             *(f"v{i}{j}" for i in range(1, m + 1) for j in range(1, h + 1)))
    ctx = flint.fmpz_mpoly_ctx.get(names, "degrevlex")
    x = ctx.gens()
    W1 = [[x[i * n + j] for j in range(n)] for i in range(h)]
    W2 = [[x[h * n + i * h + j] for j in range(h)] for i in range(m)]
    g = tuple(sum((W2[a][r] * W1[r][b] for r in range(1, h)), W2[a][0] * W1[0][b])
              for a in range(m) for b in range(n))
    laws = []
    for p in range(h):
        for q in range(p, h):
            s = sum((W1[p][j] * W1[q][j] for j in range(n)), x[0] * 0)
            s -= sum((W2[a][p] * W2[a][q] for a in range(m)), x[0] * 0)
            laws.append(s)
    fields = tuple(_gradient(ctx, gj, [1] * len(names)) for gj in g)
    return PolySystem(f"two-layer n={n} h={h} m={m}", names, ctx, g, fields, tuple(laws),
                      "entries of W1W1ᵀ - W2ᵀW2")


def law_polys(param: str, d: int, law: str) -> tuple[flint.fmpz_mpoly, ...]:
    """Entries of a candidate conserved matrix quantity as polynomials in the parameterization.

    `law`: "Q" (AAᵀ - AᵀA + BBᵀ - CᵀC, upper triangle), "Q+" (the false variant with +CᵀC),
    "B-C^T" (the d entries b_i - c_i). In the diagonal parameterization the flow only moves
    the diagonal of A, and only the diagonal of Q is claimed conserved: b_i² ∓ c_i².
    """
    law = check_choice("law", law, ("Q", "Q+", "B-C^T"))
    system = rnn_system(param, d, 1)
    x = system.ctx.gens()
    A, B, C = _matrices(param, d, x)
    if law == "B-C^T":
        return tuple(B[i] - C[i] for i in range(d))
    sign = -1 if law == "Q" else 1
    if param == "diagonal":
        return tuple(B[i] * B[i] + sign * C[i] * C[i] for i in range(d))
    out = []
    for p in range(d):
        for q in range(p, d):
            s = B[p] * B[q] + sign * C[p] * C[q]
            for r in range(d):
                s += A[p][r] * A[q][r] - A[r][p] * A[r][q]
            out.append(s)
    return tuple(out)
