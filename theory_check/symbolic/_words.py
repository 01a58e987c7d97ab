"""A minimal free algebra for the noncommutative proofs: fast exact expansion by word dictionaries.

An element is `{(j, word): coefficient}` with `word` a string over the letters A, a (= Aᵀ),
B, b (= Bᵀ), C, c (= Cᵀ) and j the index of the commutative residual r_j it carries (-1: none).
Products are concatenations, so expansion and cancellation are dictionary updates; sympy's
noncommutative `expand` does the same work ~10–30× slower (see benchmarks/README.md), and
`to_sympy` turns an element back into a sympy expression for display.
"""

from __future__ import annotations

from collections import defaultdict

Element = dict[tuple[int, str], int]

TRANSPOSE = str.maketrans("AaBbCc", "aAbBcC")


def transpose(x: Element) -> Element:
    """Reverse every word and transpose every letter."""
    return {(j, w[::-1].translate(TRANSPOSE)): c for (j, w), c in x.items()}


def add(*xs: Element, signs: tuple[int, ...] | None = None) -> Element:
    """Σ signs_i · x_i with zero coefficients dropped."""
    out: defaultdict[tuple[int, str], int] = defaultdict(int)
    for i, x in enumerate(xs):
        s = 1 if signs is None else signs[i]
        for key, c in x.items():
            out[key] += s * c
    return {key: c for key, c in out.items() if c}


def mul_word(left: str, x: Element, right: str) -> Element:
    """left · x · right for words `left`, `right`."""
    return {(j, left + w + right): c for (j, w), c in x.items()}


def word_gradient(word: str, letter: str, j: int, coeff: int) -> Element:
    """coeff · r_j · ∇_X (u X v), summed over positions of X: Σ (v u)ᵀ."""
    out: defaultdict[tuple[int, str], int] = defaultdict(int)
    for p, x in enumerate(word):
        if x == letter:
            out[(j, (word[p + 1:] + word[:p])[::-1].translate(TRANSPOSE))] += coeff
    return dict(out)


def loss_gradients(k: int) -> dict[str, Element]:
    """∇_A L, ∇_B L, ∇_C L of L_k = Σ_j r_j² with g_j = C A^j B (derived word by word)."""
    return {X: add(*(word_gradient("C" + "A" * j + "B", X, j, 2) for j in range(k)))
            for X in "ABC"}


def theory_gradients(k: int) -> dict[str, Element]:
    """proofs/theory.md §2's formulas, for cross-checking the derivation."""
    gA = add(*({(j, "a" * m + "cb" + "a" * (j - 1 - m)): 2} for j in range(k) for m in range(j)))
    gB = add(*({(j, "a" * j + "c"): 2} for j in range(k)))
    gC = add(*({(j, "b" + "a" * j): 2} for j in range(k)))
    return {"A": gA, "B": gB, "C": gC}


def flow_rates(k: int) -> dict[str, Element]:
    """d(letter)/dt along dθ/dt = -∇L_k, transposed letters included."""
    g = loss_gradients(k)
    rates = {X: {key: -c for key, c in g[X].items()} for X in "ABC"}
    rates.update({X.lower(): transpose(rates[X]) for X in "ABC"})
    return rates


def time_derivative(law: Element, rates: dict[str, Element]) -> tuple[Element, int]:
    """(d/dt law expanded, number of terms before cancellation); `law` carries no residual."""
    out: defaultdict[tuple[int, str], int] = defaultdict(int)
    n = 0
    for (_, w), c in law.items():
        for p, x in enumerate(w):
            for (j, u), cu in rates[x].items():
                out[(j, w[:p] + u + w[p + 1:])] += c * cu
                n += 1
    return {key: c for key, c in out.items() if c}, n


def substitute(x: Element, table: dict[str, str]) -> Element:
    """Replace letters (e.g. a → A, c → B, b → C on the balanced manifold)."""
    tr = str.maketrans(table)
    return add({(j, w.translate(tr)): c for (j, w), c in x.items()})


def to_sympy(x: Element):
    """The element as a sympy expression in noncommutative A, A^T, …, and commutative r_j."""
    import sympy

    letters = dict(zip("AaBbCc", sympy.symbols("A A^T B B^T C C^T", commutative=False), strict=True))
    terms = []
    for (j, w), c in sorted(x.items()):
        r = sympy.Symbol(f"r_{j}") if j >= 0 else 1
        terms.append(c * r * sympy.Mul(*(letters[ch] for ch in w)))
    return sympy.Add(*terms)
