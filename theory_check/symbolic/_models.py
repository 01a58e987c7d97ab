"""Polynomial models for the symbolic engine: the user's own, and four built-in families.

A model is a parameter vector θ ∈ R^D and outputs φ(θ) = (φ_0, …, φ_{n-1}), polynomials with
rational coefficients. Training fits targets y with L(θ) = Σ_j (φ_j(θ) - y_j)², so the gradient
flow is dθ/dt = -∇L = -2 Σ_j r_j ∇φ_j with r_j = φ_j - y_j. As in proofs/theory.md C2/C3, a conservation
law must hold for *every* target y, i.e. ∇q·∇φ_j ≡ 0 for all j, and the number of independent
laws near generic θ is D - dim Lie{∇φ_0, …, ∇φ_{n-1}}(θ) (Marcotte, Gribonval & Peyré 2023).

Internally output j is stored as the integer polynomial g_j = den_j · φ_j (den_j > 0 clears the
denominators): a constant factor changes neither the laws nor the Lie span.

Built-ins (each knows its balancedness-type laws; the census decides whether they are all):
- `mimo_rnn(d, m, p, k)`: A ∈ R^{d×d}, B ∈ R^{d×m}, C ∈ R^{p×d}; outputs every entry of C A^j B,
  j < k. Laws: entries of AAᵀ - AᵀA + BBᵀ - CᵀC.
- `complex_diagonal_rnn(d, k)`: LRU / S4D style, see its docstring for the parameter order.
- `deep_linear(widths)`: W_L ⋯ W_1, outputs every entry. Laws: W_i W_iᵀ - W_{i+1}ᵀ W_{i+1}.
- `projected_rnn(d, m, p, k)`: scalar input and output through projections,
  g_j = F C A^j B E. Laws: AAᵀ - AᵀA + BBᵀ - CᵀC, BᵀB - EEᵀ, CCᵀ - FᵀF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any

import flint

from theory_check._validate import check_int
from theory_check.symbolic._systems import MAX_TERMS, PolySystem

MODELS: tuple[str, ...] = ("mimo", "complex-diagonal", "deep-linear", "projected")
MAX_PARAMS = 160  # D: beyond it the ansatz and the jets do not fit the documented budget


@dataclass(frozen=True, eq=False)
class Model:
    """A polynomial model: parameter names, outputs φ_j = g_j / den_j, and its flow fields.

    `system`: the engine's view (flint polynomials g_j and fields ∇g_j); `den`: the positive
    integers den_j; `output_labels`: a name per output (e.g. `(CA^1B)_12`); `expected_label`:
    what `system.expected_laws` are; `expected_count`: the number of laws those give when they
    are independent, or D - 1 for a single output (flow-box theorem; None if the model brings
    no prediction); `description`: one line.
    """

    name: str
    system: PolySystem
    den: tuple[int, ...]
    output_labels: tuple[str, ...]
    expected_count: int | None
    description: str

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in θ order."""
        return self.system.names

    @property
    def n_params(self) -> int:
        """D, the number of parameters."""
        return self.system.n_vars

    @property
    def n_outputs(self) -> int:
        """Number of outputs φ_j."""
        return len(self.system.g)

    def outputs_text(self) -> list[str]:
        """`label = φ_j` in sympy syntax (from the flint polynomials; no sympy needed)."""
        return [f"{lab} = {_scaled(poly_text(g), den)}"
                for lab, g, den in zip(self.output_labels, self.system.g, self.den, strict=True)]

    def flow_text(self) -> list[str]:
        """`dθ_i/dt = -2 Σ_j r_j ∂φ_j/∂θ_i` for every parameter, r_j = φ_j - y_j."""
        return flow_text(self.system, self.den)

    def sympy_outputs(self) -> list:
        """φ_j as sympy expressions (display)."""
        import sympy

        gens = [sympy.Symbol(n) for n in self.names]
        return [sympy.Poly.from_dict({tuple(e): int(c) for e, c in g.to_dict().items()}, *gens)
                .as_expr() / den if not g.is_zero() else sympy.Integer(0)
                for g, den in zip(self.system.g, self.den, strict=True)]


def poly_text(p: flint.fmpz_mpoly) -> str:
    """A flint polynomial in sympy syntax (`**` for powers)."""
    return str(p).replace("^", "**")


def flow_text(system: PolySystem, den: Sequence[int] | None = None) -> list[str]:
    """`dθ_i/dt = -c Σ_j r_j F_j^i / den_j` for every parameter (c = `system.field_factor`)."""
    den = den or (1,) * len(system.fields)
    out = []
    for i, name in enumerate(system.names):
        terms = [f"r_{j}*{_paren(_scaled(poly_text(field[i]), dj))}"
                 for j, (field, dj) in enumerate(zip(system.fields, den, strict=True))
                 if not field[i].is_zero()]
        c = system.field_factor
        rhs = (f"-{c}*(" if c != 1 else "-(") + " + ".join(terms) + ")" if terms else "0"
        out.append(f"d{name}/dt = {rhs}")
    return out


def _paren(text: str) -> str:
    """`text` bracketed unless it is a single term."""
    return f"({text})" if " + " in text or " - " in text else text


def _scaled(text: str, den: int) -> str:
    return text if den == 1 else f"{_paren(text)}/{den}"


def _field_system(name: str, names: Sequence[str], ctx: flint.fmpz_mpoly_ctx, g: Sequence,
                  expected: Sequence, label: str) -> PolySystem:
    fields = tuple(tuple(gj.derivative(i) for i in range(len(names))) for gj in g)
    return PolySystem(name, tuple(names), ctx, tuple(g), fields, tuple(expected), label, 2)


def _check_terms(label: str, n: int) -> None:
    """Refuse a built-in whose fields would have more than `MAX_TERMS` monomials (estimate)."""
    if n > MAX_TERMS:
        raise ValueError(f"{label} needs ~{n:,} polynomial terms, beyond the documented limit of "
                         f"{MAX_TERMS:,} (reduce the sizes)")


def _check_size(D: int) -> None:
    if D > MAX_PARAMS:
        raise ValueError(f"the model has D = {D} parameters, beyond the limit of {MAX_PARAMS}")


def _names_matrix(stem: str, rows: int, cols: int) -> list[list[str]]:
    wide = rows > 9 or cols > 9
    return [[f"{stem}{i + 1}_{j + 1}" if wide else f"{stem}{i + 1}{j + 1}" for j in range(cols)]
            for i in range(rows)]


def _matmul(X: list[list], Y: list[list], zero) -> list[list]:
    n, m = len(Y), len(Y[0])
    return [[sum((row[t] * Y[t][c] for t in range(n)), zero) for c in range(m)] for row in X]


def _transpose(X: list[list]) -> list[list]:
    return [list(r) for r in zip(*X, strict=True)]


def _sym_entries(M: list[list]) -> list:
    return [M[i][j] for i in range(len(M)) for j in range(i, len(M))]


def _sub(X: list[list], Y: list[list]) -> list[list]:
    return [[a - b for a, b in zip(r, s, strict=True)] for r, s in zip(X, Y, strict=True)]


class _Builder:
    """Named matrices of distinct variables in one flint context."""

    def __init__(self, blocks: Sequence[tuple[str, int, int]]) -> None:
        grids = [_names_matrix(stem, r, c) for stem, r, c in blocks]
        self.names = [n for grid in grids for row in grid for n in row]
        _check_size(len(self.names))
        self.ctx = flint.fmpz_mpoly_ctx.get(tuple(self.names), "degrevlex")
        gens = self.ctx.gens()
        self.zero = self.ctx.from_dict({})
        self.mats, pos = [], 0
        for grid in grids:
            self.mats.append([[gens[pos + i * len(row) + j] for j in range(len(row))]
                              for i, row in enumerate(grid)])
            pos += sum(len(row) for row in grid)


def mimo_rnn(d: int, m: int = 1, p: int = 1, k: int = 3) -> Model:
    """Linear RNN with m inputs and p outputs; outputs every entry of C A^j B, j < k.

    h_t = A h_{t-1} + B x_t (x_t ∈ R^m), y_t = C h_t ∈ R^p; θ = (A row-major `a{i}{j}`,
    B `b{i}{s}`, C `c{r}{i}`), D = d² + dm + pd. Output order: j, then row r, then column s.
    Known laws: the d(d+1)/2 entries of Q = AAᵀ - AᵀA + BBᵀ - CᵀC (proofs/theory.md §2 with m, p ≥ 1).
    """
    d = check_int("d", d, minimum=1, maximum=9)
    m = check_int("m", m, minimum=1, maximum=9)
    p = check_int("p", p, minimum=1, maximum=9)
    k = check_int("k", k, minimum=1, maximum=12)
    _check_terms(f"mimo d={d} m={m} p={p} k={k}",
                 sum(p * m * d ** (j + 1) * (j + 2) for j in range(k)))
    b = _Builder((("a", d, d), ("b", d, m), ("c", p, d)))
    A, B, C = b.mats
    out, labels, U = [], [], B
    for j in range(k):
        G = _matmul(C, U, b.zero)
        out.extend(G[r][s] for r in range(p) for s in range(m))
        labels.extend(f"(CA^{j}B)_{r + 1}{s + 1}" for r in range(p) for s in range(m))
        if j + 1 < k:
            U = _matmul(A, U, b.zero)
    At = _transpose(A)
    Q = _sub(_matmul(A, At, b.zero), _matmul(At, A, b.zero))
    Q = [[Q[i][j] + BB - CC for j, (BB, CC) in enumerate(zip(
        _matmul(B, _transpose(B), b.zero)[i], _matmul(_transpose(C), C, b.zero)[i], strict=True))]
        for i in range(d)]
    name = f"mimo d={d} m={m} p={p} k={k}"
    system = _field_system(name, b.names, b.ctx, out, _sym_entries(Q),
                           "entries of Q = AAᵀ - AᵀA + BBᵀ - CᵀC")
    if k == 1:  # A does not move: its d² entries are laws, and C B is a two-layer net
        count = d * d + d * (d + 1) // 2 if m * p > 1 else system.n_vars - 1
    else:
        count = d * (d + 1) // 2
    return Model(name, system, (1,) * len(out), tuple(labels), count,
                 f"linear RNN, B ∈ R^{{{d}×{m}}}, C ∈ R^{{{p}×{d}}}, outputs C A^j B for j < {k}")


def complex_diagonal_rnn(d: int, k: int = 3) -> Model:
    """Complex-diagonal linear RNN (LRU / S4D style) with real parameters; output the real part.

    Mode i = 1..d has eigenvalue λ_i = x_i + i·y_i, input weight b_i = u_i + i·v_i and output
    weight c_i = p_i + i·q_i. Parameters are ordered mode by mode, (x, y, u, v, p, q) within a
    mode: θ = (x1, y1, u1, v1, p1, q1, x2, y2, …), D = 6d. Outputs
    g_j = Re Σ_i c_i λ_i^j b_i, j = 0..k-1 (the impulse response of h_t = Λ h_{t-1} + b x_t,
    y_t = Re(c h_t)). Known laws: |b_i|² - |c_i|² = u_i² + v_i² - p_i² - q_i² (the modulus of
    the complex rescaling b_i → s b_i, c_i → c_i / s; its phase gives no law).
    """
    d = check_int("d", d, minimum=1, maximum=16)
    k = check_int("k", k, minimum=1, maximum=12)
    names = [f"{s}{i}" for i in range(1, d + 1) for s in "xyuvpq"]
    _check_size(len(names))
    ctx = flint.fmpz_mpoly_ctx.get(tuple(names), "degrevlex")
    gens = ctx.gens()
    zero = ctx.from_dict({})
    modes = [gens[6 * i: 6 * i + 6] for i in range(d)]
    g = [zero] * k
    for x, y, u, v, p, q in modes:
        re, im = u, v
        for j in range(k):
            g[j] = g[j] + p * re - q * im
            re, im = re * x - im * y, re * y + im * x
    laws = [u * u + v * v - p * p - q * q for _x, _y, u, v, p, q in modes]
    name = f"complex-diagonal d={d} k={k}"
    system = _field_system(name, names, ctx, g, laws, "|b_i|² - |c_i|² = u_i² + v_i² - p_i² - q_i²")
    return Model(name, system, (1,) * k, tuple(f"g_{j}" for j in range(k)),
                 d if k > 1 else system.n_vars - 1,
                 f"complex-diagonal linear RNN with {d} modes, outputs Re Σ c_i λ_i^j b_i, j < {k}")


def deep_linear(widths: Sequence[int]) -> Model:
    """Deep linear network x ↦ W_L ⋯ W_1 x, widths (n_0, n_1, …, n_L), W_l ∈ R^{n_l × n_{l-1}}.

    θ = (W_1, …, W_L), each row-major `w{l}_{i}{j}`; outputs every entry of W_L ⋯ W_1
    (row-major). Known laws: the entries of W_l W_lᵀ - W_{l+1}ᵀ W_{l+1} for each hidden layer
    l = 1..L-1, Σ_l n_l(n_l+1)/2 of them (two layers, hidden width r: r(r+1)/2).
    """
    widths = tuple(widths)
    if not 2 <= len(widths) <= 6:
        raise ValueError(f"widths must list 2 to 6 layer widths (n_0, …, n_L); got {widths!r}")
    widths = tuple(check_int("widths", w, minimum=1, maximum=9) for w in widths)
    L = len(widths) - 1
    _check_terms("deep-linear " + "-".join(map(str, widths)),
                 widths[0] * widths[-1] * math.prod(widths[1:-1]) * L)
    b = _Builder([(f"w{i + 1}_", widths[i + 1], widths[i]) for i in range(L)])
    P = b.mats[0]
    for W in b.mats[1:]:
        P = _matmul(W, P, b.zero)
    out = [P[i][j] for i in range(widths[-1]) for j in range(widths[0])]
    laws = []
    for i in range(L - 1):
        W, V = b.mats[i], b.mats[i + 1]
        laws += _sym_entries(_sub(_matmul(W, _transpose(W), b.zero), _matmul(_transpose(V), V, b.zero)))
    name = "deep-linear " + "-".join(map(str, widths))
    system = _field_system(name, b.names, b.ctx, out, laws, "entries of W_l W_lᵀ - W_{l+1}ᵀ W_{l+1}")
    labels = tuple(f"(W_{L}⋯W_1)_{i + 1}{j + 1}" for i in range(widths[-1]) for j in range(widths[0]))
    count = sum(w * (w + 1) // 2 for w in widths[1:-1]) if len(out) > 1 else system.n_vars - 1
    return Model(name, system, (1,) * len(out), labels, count,
                 f"deep linear network, widths {'-'.join(map(str, widths))}")


def projected_rnn(d: int, m: int = 2, p: int = 2, k: int = 3) -> Model:
    """Scalar linear RNN with input and output projections: g_j = F C A^j B E, j < k.

    x_t ∈ R is lifted by E ∈ R^{m×1}, fed through B ∈ R^{d×m}; the state is read by C ∈ R^{p×d}
    and projected by F ∈ R^{1×p}. θ = (A `a{i}{j}`, B `b{i}{s}`, C `c{r}{i}`, E `e{s}1`, F `f1{r}`),
    D = d² + dm + pd + m + p. Known laws (one per symmetry GL(d), GL(m), GL(p) of the
    factorisation): AAᵀ - AᵀA + BBᵀ - CᵀC, BᵀB - EEᵀ and CCᵀ - FᵀF, i.e.
    d(d+1)/2 + m(m+1)/2 + p(p+1)/2 entries.
    """
    d = check_int("d", d, minimum=1, maximum=9)
    m = check_int("m", m, minimum=1, maximum=9)
    p = check_int("p", p, minimum=1, maximum=9)
    k = check_int("k", k, minimum=1, maximum=12)
    _check_terms(f"projected d={d} m={m} p={p} k={k}",
                 sum(p * m * d ** (j + 1) * (j + 4) for j in range(k)))
    b = _Builder((("a", d, d), ("b", d, m), ("c", p, d), ("e", m, 1), ("f", 1, p)))
    A, B, C, E, F = b.mats
    U = _matmul(B, E, b.zero)
    FC = _matmul(F, C, b.zero)
    out = []
    for j in range(k):
        out.append(_matmul(FC, U, b.zero)[0][0])
        if j + 1 < k:
            U = _matmul(A, U, b.zero)
    z = b.zero
    At, Bt, Ct = _transpose(A), _transpose(B), _transpose(C)
    Qs = [[x - y + s - t for x, y, s, t in zip(r1, r2, r3, r4, strict=True)]
          for r1, r2, r3, r4 in zip(_matmul(A, At, z), _matmul(At, A, z), _matmul(B, Bt, z),
                                    _matmul(Ct, C, z), strict=True)]
    Qi = _sub(_matmul(Bt, B, z), _matmul(E, _transpose(E), z))
    Qo = _sub(_matmul(C, Ct, z), _matmul(_transpose(F), F, z))
    name = f"projected d={d} m={m} p={p} k={k}"
    system = _field_system(name, b.names, b.ctx, out,
                           _sym_entries(Qs) + _sym_entries(Qi) + _sym_entries(Qo),
                           "AAᵀ - AᵀA + BBᵀ - CᵀC, BᵀB - EEᵀ, CCᵀ - FᵀF")
    count = d * (d + 1) // 2 + m * (m + 1) // 2 + p * (p + 1) // 2
    return Model(name, system, (1,) * k, tuple(f"g_{j}" for j in range(k)),
                 count if k > 1 else system.n_vars - 1,
                 f"linear RNN with projections E ∈ R^{{{m}×1}}, F ∈ R^{{1×{p}}}, g_j = F C A^j B E, j < {k}")


def builtin(kind: str, **options: Any) -> Model:
    """A built-in model by its CLI name (`MODELS`) and options (d, m, p, k, widths)."""
    if kind == "mimo":
        return mimo_rnn(options["d"], options.get("m", 1), options.get("p", 1), options["k"])
    if kind == "complex-diagonal":
        return complex_diagonal_rnn(options["d"], options["k"])
    if kind == "deep-linear":
        return deep_linear(options["widths"])
    if kind == "projected":
        return projected_rnn(options["d"], options.get("m", 2), options.get("p", 2), options["k"])
    raise ValueError(f"model must be one of {', '.join(map(repr, MODELS))} or FILE.py:NAME; "
                     f"got {kind!r}")


# ---------------------------------------------------------------- user models (sympy front end)

def _flatten(x: Any) -> list:
    import sympy

    if isinstance(x, sympy.MatrixBase):
        return list(x)  # row-major
    if isinstance(x, (list, tuple)):
        return [e for item in x for e in _flatten(item)]
    return [sympy.sympify(x)]


def _parameters(params: Any) -> tuple[list, dict[str, Any]]:
    """Flat symbols in order, and the structured objects (for a callable `outputs`)."""
    import sympy

    if isinstance(params, Mapping):
        flat, structured = [], {}
        for name, spec in params.items():
            if isinstance(spec, (sympy.MatrixBase, sympy.Symbol)):
                obj = spec
            else:
                shape = (spec,) if isinstance(spec, int) else tuple(spec)
                if shape in ((), (1,)) and not isinstance(spec, tuple):
                    obj = sympy.Symbol(name)
                elif len(shape) == 1:
                    stem = name + "_" if name[-1].isdigit() else name
                    obj = sympy.Matrix([sympy.Symbol(f"{stem}{i + 1}") for i in range(shape[0])])
                elif len(shape) == 2:
                    r, c = shape
                    grid = _names_matrix(name + "_" if name[-1].isdigit() else name, r, c)
                    obj = sympy.Matrix(r, c, lambda i, j, g=grid: sympy.Symbol(g[i][j]))
                else:
                    raise ValueError(f"params[{name!r}] must be a shape (n,) or (rows, cols), a "
                                     f"sympy Symbol or Matrix; got {spec!r}")
            structured[name] = obj
            flat.extend(_flatten(obj))
    elif isinstance(params, (list, tuple)) or isinstance(params, sympy.MatrixBase):
        flat, structured = _flatten(params), {}
    else:
        raise ValueError("params must be a sequence of sympy Symbols/Matrices or a mapping "
                         f"name -> shape; got {type(params).__name__}")
    if not flat or not all(isinstance(s, sympy.Symbol) for s in flat):
        raise ValueError("params must consist of sympy Symbols (at least one)")
    if len(set(flat)) != len(flat):
        raise ValueError("params must be distinct symbols")
    return flat, structured


def model(params: Any, outputs: Any, *, name: str = "user model",
          expected_laws: Sequence | None = None, description: str = "") -> Model:
    """A user model θ ↦ φ(θ): polynomial outputs in the given parameters (see module doc).

    `params`: sympy Symbols / Matrices of Symbols (flattened row-major, in order), or a mapping
    name → shape ((n,) column vector `name1..`, (r, c) matrix `name11..`; a name ending in a
    digit gets `_`: `W1_11`) or → Symbol/Matrix.
    `outputs`: a sympy expression, a Matrix (all entries, row-major), a sequence of them, or a
    callable taking the structured parameters (keyword arguments for a mapping, positional
    otherwise) and returning one of those. Every output must be a polynomial in `params` with
    rational coefficients. `expected_laws`: optional known laws (sympy), compared with the
    derived ones.

    Example: `model({"W1": (2, 3), "W2": (1, 2)}, lambda W1, W2: W2 * W1)`.
    """
    import sympy

    flat, structured = _parameters(params)
    if callable(outputs) and not isinstance(outputs, sympy.Basic):
        fn: Callable = outputs
        try:
            result = fn(**structured) if structured else fn(*flat)
        except Exception as exc:
            raise ValueError(f"outputs: calling {getattr(fn, '__name__', 'the function')} on the "
                             f"parameters failed: {exc}") from exc
        exprs = _flatten(result)
    else:
        exprs = _flatten(outputs)
    if not exprs:
        raise ValueError("outputs must contain at least one expression")
    _check_size(len(flat))
    names = tuple(str(s) for s in flat)
    ctx = flint.fmpz_mpoly_ctx.get(names, "degrevlex")
    g, den = [], []
    for j, e in enumerate(exprs):
        q, dj = _to_flint(e, flat, ctx, f"outputs[{j}]")
        g.append(q)
        den.append(dj)
    expected = [_to_flint(e, flat, ctx, f"expected_laws[{i}]")[0]
                for i, e in enumerate(_flatten(list(expected_laws or [])))]
    system = _field_system(name, names, ctx, g, expected, "expected_laws (given)")
    return Model(name, system, tuple(den), tuple(f"phi_{j}" for j in range(len(g))),
                 None, description or f"user model, D = {len(flat)}, {len(g)} outputs")


def _to_flint(expr: Any, params: list, ctx: flint.fmpz_mpoly_ctx, label: str
              ) -> tuple[flint.fmpz_mpoly, int]:
    """(den·expr as an integer flint polynomial, den) or ValueError naming `label`."""
    import sympy

    expr = sympy.sympify(expr)
    extra = expr.free_symbols - set(params)
    if extra:
        raise ValueError(f"{label} uses symbols that are not parameters: "
                         f"{', '.join(sorted(map(str, extra)))}")
    try:
        poly = sympy.Poly(sympy.expand(expr), *params, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, sympy.GeneratorsNeeded) as exc:
        raise ValueError(f"{label} must be a polynomial in the parameters with rational "
                         f"coefficients; got {expr}") from exc
    terms = {m: Fraction(int(c.numerator), int(c.denominator)) for m, c in poly.terms() if c}
    den = lcm(*(f.denominator for f in terms.values())) if terms else 1
    return ctx.from_dict({m: int(f * den) for m, f in terms.items()}), den
