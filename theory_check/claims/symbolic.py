"""Claims decided by the symbolic engine: C2 (symbolic part), C3, N2; C4's symbolic part.

`c2_symbolic` and `c4_symbolic` are plain functions (`(rng, **params) -> Outcome`) so that they
can be combined with numeric parts; C2 and C4 are registered in `claims.composite`.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from theory_check._validate import check_choice, check_int
from theory_check.claims._registry import Kind, Outcome, Status, claim, combine
from theory_check.claims.basic import _rational_student, measure_moments, random_teacher_measure
from theory_check.model import loss_gradient
from theory_check.symbolic import (
    balanced_tangency,
    census,
    conservation_identity,
    discover_laws,
    law_polys,
    noether_identity,
    predicted_laws,
    rnn_system,
    two_layer_system,
)
from theory_check.symbolic._laws import coefficient_vector
from theory_check.symbolic._lie import lie_census

_LAWS = ("Q", "Q+", "B-C^T")


def _in_span(system, laws, candidates) -> bool:
    """Exact: every candidate polynomial lies in the span of `laws` (coefficient vectors)."""
    D = system.n_vars
    base = [coefficient_vector(q, D) for q in laws]
    both = base + [coefficient_vector(q, D) for q in candidates]
    r0 = flint.fmpz_mat(base).rank() if base else 0
    return flint.fmpz_mat(both).rank() == r0


def _identity_outcome(label: str, words_check, sympy_check) -> Outcome:
    # The sympy engine covers k ≤ its own K: it must fail exactly where the word engine does.
    w_fail = words_check.first_failure_k
    expected_sympy = w_fail if w_fail is not None and w_fail <= sympy_check.K else None
    ev = {"K": words_check.K, "terms_cancelled": words_check.n_terms_checked,
          "sympy_cross_check_K": sympy_check.K,
          "engines_agree": sympy_check.first_failure_k == expected_sympy}
    if not ev["engines_agree"]:
        return Outcome(Status.INCONCLUSIVE, f"{label}: word engine and sympy disagree", ev)
    if words_check.holds:
        return Outcome(Status.PASS, f"{words_check.name} expands to 0 for k = 1..{words_check.K} "
                       "(free algebra: every d)", ev)
    return Outcome(Status.FAIL, f"{words_check.name} fails at k = {words_check.first_failure_k}: "
                   f"residue {words_check.residue}", ev,
                   counterexample={"k": words_check.first_failure_k, "residue": words_check.residue})


def c2_symbolic(rng: np.random.Generator, *, K: int = 8, K_sympy: int = 5,
                full_d: tuple[int, ...] = (1, 2, 3), diagonal_d: tuple[int, ...] = (1, 2, 3, 4),
                k_max: int = 5, law: str = "Q") -> Outcome:
    """C2, symbolic part: `law` is conserved by the gradient flow of L_k (Q by default).

    1. Proof for all d: in the free algebra d(law)/dt expands to 0 along dθ/dt = -∇L_k,
       k = 1..K (word engine; sympy's noncommutative expand agrees for k ≤ K_sympy); with the
       Noether identity ∇_A L Aᵀ - Aᵀ∇_A L + ∇_B L Bᵀ - Cᵀ∇_C L = 0 and the derived gradients
       equal to THEORY.md's formulas.
    2. Derivation: for full d ∈ full_d and diagonal d ∈ diagonal_d, k ≤ k_max, the exact
       quadratic ansatz finds all conserved quadratic forms; the law's entries (Q_pq /
       b_i² - c_i²) must lie in their span. Also reported: whether the span *equals* theirs.
    A false `law` ("Q+", "B-C^T") makes both parts FAIL, which is how the check is shown to fail.
    """
    K = check_int("K", K, minimum=1, maximum=60)
    K_sympy = check_int("K_sympy", K_sympy, minimum=1, maximum=12)
    k_max = check_int("k_max", k_max, minimum=1, maximum=8)
    law = check_choice("law", law, _LAWS)
    for name, ds in (("full_d", full_d), ("diagonal_d", diagonal_d)):
        for d in ds:
            check_int(name, d, minimum=1, maximum=8 if name == "diagonal_d" else 4)
    ident = _identity_outcome("identity", conservation_identity(law, K),
                              conservation_identity(law, min(K, K_sympy), engine="sympy"))
    parts = {"identity": ident}
    if law == "Q":
        parts["noether"] = _identity_outcome("noether", noether_identity(K),
                                             noether_identity(min(K, K_sympy), engine="sympy"))
    cases, not_contained, equal_k_ge_2, larger = 0, [], True, []
    for param, ds in (("full", full_d), ("diagonal", diagonal_d)):
        for d in ds:
            for k in range(1, k_max + 1):
                system = rnn_system(param, d, k)
                space = discover_laws(system, rng)
                cases += 1
                if not _in_span(system, space.laws, law_polys(param, d, law)):
                    not_contained.append(f"{param} d={d} k={k}")
                if not space.matches_expected:
                    larger.append(f"{param} d={d} k={k}: {space.dim} vs {space.expected_dim}")
                    equal_k_ge_2 &= k == 1
    ev = {"cases": cases, "law": law, "cases_law_not_conserved": len(not_contained),
          "span_equals_known_laws_for_k_ge_2": equal_k_ge_2,
          "cases_with_more_quadratic_laws": "; ".join(larger) or "none",
          "arithmetic": "exact (python-flint fmpz_mpoly, fmpz_mat)", "tolerance": 0,
          "python_flint": flint.__version__}
    if not_contained:
        parts["ansatz"] = Outcome(Status.FAIL, f"{law} not among the derived conserved forms in "
                                  f"{len(not_contained)} cases", ev,
                                  counterexample={"cases": not_contained[:5]})
    else:
        parts["ansatz"] = Outcome(Status.PASS, f"{law}'s entries lie in the derived conserved "
                                  f"quadratic forms in all {cases} cases", ev)
    return combine(parts)


# C2 is registered in `claims.composite`, joined with the numeric high-precision part.
C2_SYMBOLIC_DEFAULTS: dict = {"K": 8, "K_sympy": 5, "full_d": (1, 2, 3), "diagonal_d": (1, 2, 3, 4),
                              "k_max": 5, "law": "Q"}
C2_SYMBOLIC_THOROUGH: dict = {"K": 40, "K_sympy": 8, "full_d": (1, 2, 3, 4),
                              "diagonal_d": tuple(range(1, 9)), "k_max": 6}


def c4_symbolic(rng: np.random.Generator, *, K: int = 8, K_sympy: int = 5,
                manifold: str = "balanced") -> Outcome:
    """C4, symbolic part: on {A = Aᵀ, B = Cᵀ}, ∇_A L is symmetric and ∇_B L = (∇_C L)ᵀ.

    Free-algebra identities after substituting Aᵀ → A, Cᵀ → B, Bᵀ → C, for k = 1..K (all d);
    sympy's noncommutative expansion cross-checks k ≤ K_sympy. `manifold="B=C^T only"` (A not
    symmetric) must FAIL. `rng` is unused (the proof is deterministic).
    """
    del rng
    K = check_int("K", K, minimum=1, maximum=60)
    K_sympy = check_int("K_sympy", K_sympy, minimum=1, maximum=12)
    return _identity_outcome("tangency", balanced_tangency(K, manifold),
                             balanced_tangency(min(K, K_sympy), manifold, engine="sympy"))


@claim(
    "C3",
    title="Completeness of the conservation laws",
    statement="D - dim Lie{∇g_j} = d(d+1)/2 (full), d (diagonal) for k ≥ 2; D - 1 for k = 1",
    kind=Kind.RANK,
    defaults={"full_d": (1, 2, 3), "diagonal_d": (1, 2, 3, 4, 5), "k_max": 6,
              "prediction": "C3", "two_layer": True},
    thorough={"full_d": (1, 2, 3, 4), "diagonal_d": tuple(range(1, 9)), "k_max": 6},
    engines=("symbolic",),
    headline=("n_cases", "n_certified", "n_disagreeing"),
)
def check_c3(rng: np.random.Generator, *, full_d: tuple[int, ...], diagonal_d: tuple[int, ...],
             k_max: int, prediction: str, two_layer: bool) -> Outcome:
    """Certified counts of independent conservation laws (Marcotte–Gribonval–Peyré).

    For each (param, d, k): upper bound D - rank of Lie-algebra fields at a seeded random integer
    point (exact), lower bound the rank of the gradients of the proven quadratic laws there;
    certified when equal. Prediction "C3": D - 1 at k = 1, else d(d+1)/2 / d. Prediction
    "balancedness-all-k" (false: it ignores k = 1) must FAIL. `two_layer`: first validate the
    machinery on two-layer linear nets, whose laws are W1W1ᵀ - W2ᵀW2 (h(h+1)/2 of them).
    """
    k_max = check_int("k_max", k_max, minimum=1, maximum=8)
    prediction = check_choice("prediction", prediction, ("C3", "balancedness-all-k"))
    for name, ds in (("full_d", full_d), ("diagonal_d", diagonal_d)):
        for d in ds:
            check_int(name, d, minimum=1, maximum=8 if name == "diagonal_d" else 4)
    ev: dict = {}
    if two_layer:
        bad = []
        for n, h, m in ((2, 2, 2), (3, 2, 3), (2, 3, 2), (2, 1, 3)):
            s = two_layer_system(n, h, m)
            lw = discover_laws(s, rng)
            c = lie_census(s, rng, laws=lw.laws)
            if not (c.certified and c.n_laws == h * (h + 1) // 2 and lw.matches_expected):
                bad.append(f"(n,h,m)=({n},{h},{m}): {c.lower}..{c.upper}")
        ev["two_layer_validation"] = "ok (4 nets)" if not bad else "; ".join(bad)
        if bad:
            return Outcome(Status.INCONCLUSIVE, "the census machinery fails its validation on "
                           "two-layer linear nets", ev)
    cases = [(p, d, k) for p, ds in (("full", full_d), ("diagonal", diagonal_d)) for d in ds
             for k in range(1, k_max + 1)]
    seed = int(rng.integers(2**31))
    rows = census(cases, seed=seed)
    disagree, uncertified = [], []
    for r in rows:
        want = r.predicted if prediction == "C3" else predicted_laws(r.param, r.d, 2)
        if not r.certified:
            uncertified.append(f"{r.param} d={r.d} k={r.k}: {r.lower} ≤ #laws ≤ {r.n_laws}")
        elif r.n_laws != want:
            disagree.append({"param": r.param, "d": r.d, "k": r.k, "n_laws": r.n_laws,
                             "predicted": want, "lie_dim": r.lie_dim, "D": r.n_params})
    for p, ds in (("full", full_d), ("diagonal", diagonal_d)):
        for d in ds:
            counts = [r.n_laws for r in rows if r.param == p and r.d == d]
            ev[f"{p}_d{d}_laws_k1..{k_max}"] = ",".join(map(str, counts))
    ev.update({"n_cases": len(rows), "n_certified": len(rows) - len(uncertified),
               "n_disagreeing": len(disagree), "prediction": prediction, "census_seed": seed,
               "arithmetic": "exact integer ranks (python-flint)", "tolerance": 0})
    if disagree:
        first = disagree[0]
        return Outcome(Status.FAIL, f"{len(disagree)} certified counts differ from the "
                       f"prediction, e.g. {first['param']} d={first['d']} k={first['k']}: "
                       f"{first['n_laws']} laws vs {first['predicted']}", ev,
                       counterexample=first)
    if uncertified:
        return Outcome(Status.INCONCLUSIVE, f"{len(uncertified)} counts not certified: "
                       + "; ".join(uncertified[:3]), ev)
    return Outcome(Status.PASS, f"all {len(rows)} counts certified and as predicted "
                   "(k = 1: D - 1; k ≥ 2: d(d+1)/2 full, d diagonal)", ev)


def _rate_of(quantity: str, A, B, C, w) -> np.ndarray:
    """d(quantity)/dt along dθ/dt = -∇L at a point, exactly (object arrays of Fractions)."""
    dA, dB, dC = loss_gradient(A, B, C, w)
    Ad, Bd, Cd = -dA, -dB, -dC
    if quantity == "B-C^T":
        return Bd - Cd.T
    return (Ad @ A.T + A @ Ad.T - Ad.T @ A - A.T @ Ad + Bd @ B.T + B @ Bd.T
            - Cd.T @ C - C.T @ Cd)


@claim(
    "N2",
    title="B - Cᵀ is conserved (false)",
    statement="Negative control: B - Cᵀ is conserved under gradient flow",
    kind=Kind.CONSERVED,
    defaults={"d": 2, "k": 3, "d_hat": 2, "n_points": 5, "K": 8, "quantity": "B-C^T"},
    thorough={"d": 4, "k": 6, "n_points": 50, "K": 40},
    engines=("symbolic", "model"),
    headline=("max_abs_rate", "in_derived_laws", "identity_holds"),
)
def check_n2(rng: np.random.Generator, *, d: int, k: int, d_hat: int, n_points: int, K: int,
             quantity: str) -> Outcome:
    """Is `quantity` conserved? Exact rates at rational points, the ansatz, the free algebra.

    At `n_points` random rational full students θ and rational teachers, d(quantity)/dt is
    evaluated exactly; a nonzero value is an explicit counterexample (FAIL). Also reported:
    whether its entries lie among the derived conserved forms (full d, k) and whether the
    free-algebra identity holds. `quantity="Q"` (true) must PASS.
    """
    d = check_int("d", d, minimum=1, maximum=4)
    k = check_int("k", k, minimum=1, maximum=8)
    n_points = check_int("n_points", n_points, minimum=1)
    quantity = check_choice("quantity", quantity, ("B-C^T", "Q"))
    ident = conservation_identity(quantity, K)
    system = rnn_system("full", d, k)
    space = discover_laws(system, rng)
    in_laws = _in_span(system, space.laws, law_polys("full", d, quantity))
    worst, counter = Fraction(0), None
    for _ in range(n_points):
        A, B, C = _rational_student(rng, d, "full")
        atoms, weights = random_teacher_measure(rng, d_hat)
        w = np.array(measure_moments(atoms, weights, k), dtype=object)
        rate = _rate_of(quantity, A, B, C, w)
        m = max(abs(x) for x in rate.ravel())
        if m > worst:
            worst = m
            counter = {"A": A.tolist(), "B": B.ravel().tolist(), "C": C.ravel().tolist(),
                       "teacher_atoms": atoms, "teacher_weights": weights, "k": k,
                       f"d({quantity})/dt": rate.ravel().tolist()}
    ev = {"max_abs_rate": worst, "n_points": n_points, "in_derived_laws": in_laws,
          "identity_holds": ident.holds, "identity_residue": ident.residue or "0",
          "quantity": quantity, "d": d, "k": k, "arithmetic": "exact rational", "tolerance": 0}
    if worst != 0:
        return Outcome(Status.FAIL, f"d({quantity})/dt = {float(worst):.4g} ≠ 0 at an explicit "
                       "rational point (exact)", ev, counterexample=counter)
    if ident.holds and in_laws:
        return Outcome(Status.PASS, f"{quantity} conserved: rate 0 at all points, identity holds",
                       ev)
    return Outcome(Status.INCONCLUSIVE, "no nonzero rate at the points, but no proof either", ev)
