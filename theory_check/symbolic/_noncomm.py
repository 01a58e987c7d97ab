"""Proofs for every state dimension d at once: identities in the free algebra (sympy, noncommutative).

Letters A, Aᵗ, B, Bᵗ, C, Cᵗ are noncommutative symbols standing for the matrices and their
transposes; the residuals r_j = g_j - w_j are commutative scalars. An identity that expands to 0
in the free algebra holds for matrices of every size d, so it proves the claim for all d (at
each k checked). Nothing is typed in from proofs/theory.md: the gradient of the scalar word
g_j = C A^j B is *derived* by the rule d(u X v) = u dX v = tr(v u dX) ⇒ ∇_X = (v u)ᵀ, summed
over the positions of the letter X, and transposes reverse words and transpose letters.

Two engines expand the same identities: `words` (a word-dictionary free algebra, `_words`, fast)
and `sympy` (noncommutative symbols and `expand`, the reference and the display front end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sympy

from theory_check.symbolic import _words as words

A, At, B, Bt, C, Ct = sympy.symbols("A A^T B B^T C C^T", commutative=False)
_T = {A: At, At: A, B: Bt, Bt: B, C: Ct, Ct: C}
_LETTERS = {"A": A, "B": B, "C": C}


def residual(j: int) -> sympy.Symbol:
    """The commutative scalar r_j = g_j - w_j."""
    return sympy.Symbol(f"r_{j}")


def transpose(expr: sympy.Expr) -> sympy.Expr:
    """Transpose in the free algebra: reverse every word, transpose every letter."""
    expr = sympy.expand(expr)
    out = []
    for term in sympy.Add.make_args(expr):
        comm, nc = term.args_cnc()
        factors = []
        for f in reversed(nc):
            if isinstance(f, sympy.Pow):
                factors.append(_T[f.base] ** f.exp)
            else:
                factors.append(_T[f])
        out.append(sympy.Mul(*comm) * sympy.Mul(*factors))
    return sympy.Add(*out)


def _word(letters: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    return sympy.Mul(*letters) if letters else sympy.Integer(1)


def word_gradient(word: tuple[sympy.Symbol, ...], letter: sympy.Symbol) -> sympy.Expr:
    """∇_X of the scalar word u X v (summed over positions of X) = Σ (v u)ᵀ."""
    terms = [transpose(_word(word[p + 1:] + word[:p])) for p, x in enumerate(word) if x == letter]
    return sympy.Add(*terms)


@cache
def loss_gradients(k: int) -> dict[str, sympy.Expr]:
    """∇_A L, ∇_B L, ∇_C L of L_k = Σ_{j<k} r_j² as free-algebra expressions (derived)."""
    out = {}
    for name, X in _LETTERS.items():
        out[name] = sympy.expand(sympy.Add(*(
            2 * residual(j) * word_gradient((C, *([A] * j), B), X) for j in range(k))))
    return out


def theory_gradients(k: int) -> dict[str, sympy.Expr]:
    """The gradients as written in proofs/theory.md §2 (for cross-checking the derivation)."""
    r = residual
    gA = sympy.Add(*(2 * r(j) * At**m * Ct * Bt * At ** (j - 1 - m) for j in range(k) for m in range(j)))
    gB = sympy.Add(*(2 * r(j) * At**j * Ct for j in range(k)))
    gC = sympy.Add(*(2 * r(j) * Bt * At**j for j in range(k)))
    return {"A": sympy.expand(gA), "B": sympy.expand(gB), "C": sympy.expand(gC)}


def time_derivative(expr: sympy.Expr, rates: dict[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """d/dt of a free-algebra polynomial, given d(letter)/dt for each letter (product rule)."""
    return _time_derivative(expr, rates)[0]


def _time_derivative(expr: sympy.Expr, rates: dict[sympy.Symbol, sympy.Expr]) -> tuple[sympy.Expr, int]:
    """(d/dt expr expanded, number of terms before cancellation)."""
    expr = sympy.expand(expr)
    out = []
    for term in sympy.Add.make_args(expr):
        comm, nc = term.args_cnc()
        letters: list[sympy.Symbol] = []
        for f in nc:
            letters.extend([f.base] * int(f.exp) if isinstance(f, sympy.Pow) else [f])
        for p, x in enumerate(letters):
            out.append(sympy.expand(sympy.Mul(*comm) * _word(tuple(letters[:p])) * rates[x]
                                    * _word(tuple(letters[p + 1:]))))
    n_terms = sum(len(sympy.Add.make_args(t)) for t in out)
    return sympy.Add(*out), n_terms


def flow_rates(k: int) -> dict[sympy.Symbol, sympy.Expr]:
    """Gradient flow dθ/dt = -∇L_k for every letter (transposed letters by transposition)."""
    g = loss_gradients(k)
    rates = {A: -g["A"], B: -g["B"], C: -g["C"]}
    rates.update({_T[x]: transpose(v) for x, v in list(rates.items())})
    return rates


# Matrix quantities whose conservation can be asked about (`law` names), in both engines.
LAWS: dict[str, Callable[[], sympy.Expr]] = {
    "Q": lambda: A * At - At * A + B * Bt - Ct * C,
    "B-C^T": lambda: B - Ct,
    # A false variant (sign of CᵀC flipped): used to show the proof machinery can fail.
    "Q+": lambda: A * At - At * A + B * Bt + Ct * C,
}
_WORD_LAWS: dict[str, words.Element] = {
    "Q": {(-1, "Aa"): 1, (-1, "aA"): -1, (-1, "Bb"): 1, (-1, "cC"): -1},
    "B-C^T": {(-1, "B"): 1, (-1, "c"): -1},
    "Q+": {(-1, "Aa"): 1, (-1, "aA"): -1, (-1, "Bb"): 1, (-1, "cC"): 1},
}
ENGINES: tuple[str, ...] = ("words", "sympy")

# Substitutions defining submanifolds for C4 (sympy letters, and the same on word letters).
MANIFOLDS: dict[str, dict[sympy.Symbol, sympy.Symbol]] = {
    "balanced": {At: A, Ct: B, Bt: C},
    # B = Cᵀ but A free: ∇_A L is then not symmetric (used to show C4's check can fail).
    "B=C^T only": {Ct: B, Bt: C},
}
_WORD_MANIFOLDS: dict[str, dict[str, str]] = {"balanced": {"a": "A", "c": "B", "b": "C"},
                                              "B=C^T only": {"c": "B", "b": "C"}}


@dataclass(frozen=True)
class IdentityCheck:
    """Outcome of an identity checked at k = 1..K: where it first failed and the residue there.

    `n_terms_checked`: terms produced before cancellation, summed over k (the proof's size).
    """

    name: str
    K: int
    holds: bool
    first_failure_k: int | None
    residue: str | None
    n_terms_checked: int
    engine: str


def _check(name: str, choice: str, table: dict, engine: str) -> None:
    if choice not in table:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, table))}; got {choice!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")


def conservation_identity(law: str, K: int, *, engine: str = "words") -> IdentityCheck:
    """Does d(law)/dt expand to 0 along the flow of L_k for each k = 1..K (hence for all d)?

    dA/dt = -∇_A L etc., d(Aᵀ)/dt = -(∇_A L)ᵀ; the product rule over each word of `law`.
    """
    _check("law", law, LAWS, engine)
    name, terms = f"d({law})/dt = 0", 0
    for k in range(1, K + 1):
        if engine == "words":
            rate, n = words.time_derivative(_WORD_LAWS[law], words.flow_rates(k))
            residue = str(words.to_sympy(rate)) if rate else None
        else:
            expr, n = _time_derivative(LAWS[law](), flow_rates(k))
            residue = str(expr) if expr != 0 else None
        terms += n
        if residue is not None:
            return IdentityCheck(name, K, False, k, residue, terms, engine)
    return IdentityCheck(name, K, True, None, None, terms, engine)


def noether_identity(K: int, *, engine: str = "words") -> IdentityCheck:
    """For k = 1..K: the derived gradients equal proofs/theory.md's formulas, and
    ∇_A L Aᵀ - Aᵀ ∇_A L + ∇_B L Bᵀ - Cᵀ ∇_C L = 0 (the symmetry identity of §4)."""
    _check("engine", engine, {e: e for e in ENGINES}, engine)
    terms = 0
    for k in range(1, K + 1):
        if engine == "words":
            g, th = words.loss_gradients(k), words.theory_gradients(k)
            for X in "ABC":
                diff = words.add(g[X], th[X], signs=(1, -1))
                if diff:
                    return IdentityCheck(f"∇_{X}L = proofs/theory.md formula", K, False, k,
                                         str(words.to_sympy(diff)), terms, engine)
            parts = [words.mul_word("", g["A"], "a"), words.mul_word("a", g["A"], ""),
                     words.mul_word("", g["B"], "b"), words.mul_word("c", g["C"], "")]
            terms += sum(len(p) for p in parts)
            e = words.add(*parts, signs=(1, -1, 1, -1))
            residue = str(words.to_sympy(e)) if e else None
        else:
            gs, ths = loss_gradients(k), theory_gradients(k)
            for X in "ABC":
                diff = sympy.expand(gs[X] - ths[X])
                if diff != 0:
                    return IdentityCheck(f"∇_{X}L = proofs/theory.md formula", K, False, k, str(diff),
                                         terms, engine)
            parts = [sympy.expand(p) for p in (gs["A"] * At, -At * gs["A"], gs["B"] * Bt, -Ct * gs["C"])]
            terms += sum(len(sympy.Add.make_args(p)) for p in parts)
            expr = sympy.Add(*parts)
            residue = str(expr) if expr != 0 else None
        if residue is not None:
            return IdentityCheck("Noether identity", K, False, k, residue, terms, engine)
    return IdentityCheck("Noether identity", K, True, None, None, terms, engine)


def balanced_tangency(K: int, manifold: str = "balanced", *, engine: str = "words") -> IdentityCheck:
    """On the manifold (letters substituted): ∇_A L = (∇_A L)ᵀ and ∇_B L = (∇_C L)ᵀ, k = 1..K."""
    _check("manifold", manifold, MANIFOLDS, engine)
    terms = 0
    for k in range(1, K + 1):
        if engine == "words":
            g, sub = words.loss_gradients(k), _WORD_MANIFOLDS[manifold]
            pairs = (("∇_A L symmetric", g["A"], words.transpose(g["A"])),
                     ("∇_B L = (∇_C L)ᵀ", g["B"], words.transpose(g["C"])))
            for label, lhs, rhs in pairs:
                terms += len(lhs)
                e = words.add(words.substitute(lhs, sub), words.substitute(rhs, sub), signs=(1, -1))
                if e:
                    return IdentityCheck(label, K, False, k, str(words.to_sympy(e)), terms, engine)
        else:
            gs, ssub = loss_gradients(k), MANIFOLDS[manifold]
            for label, lhs, rhs in (("∇_A L symmetric", gs["A"], transpose(gs["A"])),
                                    ("∇_B L = (∇_C L)ᵀ", gs["B"], transpose(gs["C"]))):
                terms += len(sympy.Add.make_args(lhs))
                expr = sympy.expand(lhs.xreplace(ssub) - rhs.xreplace(ssub))
                if expr != 0:
                    return IdentityCheck(label, K, False, k, str(expr), terms, engine)
    return IdentityCheck(f"tangency on {manifold}", K, True, None, None, terms, engine)
