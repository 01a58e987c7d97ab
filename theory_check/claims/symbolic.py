"""Claims decided by the symbolic engine: C2 (symbolic part), C3, N2; C4's symbolic part.

`c2_symbolic` and `c4_symbolic` are plain functions (`(rng, **params) -> Outcome`) so that they
can be combined with numeric parts; C2 and C4 are registered in `claims.composite`.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from theory_check._validate import check_choice, check_int
from theory_check.claims._gradcheck import (
    check_gradient,
    gradient_outcome,
    independent_gradient,
    theory_gradient,
)
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
_FALSE_LAWS = ("Q+", "B-C^T")  # known-false laws every run puts through the same prover


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
    if sympy_check.K < words_check.K:
        ev["word_engine_only_for_k"] = f"{sympy_check.K + 1}..{words_check.K}"
    if not ev["engines_agree"]:
        return Outcome(Status.INCONCLUSIVE, f"{label}: word engine and sympy disagree", ev)
    if words_check.holds:
        return Outcome(Status.PASS, f"{words_check.name} expands to 0 for k = 1..{words_check.K} "
                       "(free algebra: every d)", ev)
    return Outcome(Status.FAIL, f"{words_check.name} fails at k = {words_check.first_failure_k}: "
                   f"residue {words_check.residue}", ev,
                   counterexample={"k": words_check.first_failure_k, "residue": words_check.residue})


def _rate(quantity: str, A, B, C, grads) -> np.ndarray:
    """d(quantity)/dt along dθ/dt = -∇L at a point, given ∇L there (exact for Fractions).

    "B-C^T": Ḃ - Ċᵀ; "Q"/"Q+": the product rule on AAᵀ - AᵀA + BBᵀ ∓ CᵀC.
    """
    Ad, Bd, Cd = (-g for g in grads)
    if quantity == "B-C^T":
        return Bd - Cd.T
    sign = -1 if quantity == "Q" else 1
    return (Ad @ A.T + A @ Ad.T - Ad.T @ A - A.T @ Ad + Bd @ B.T + B @ Bd.T
            + sign * (Cd.T @ C + C.T @ Cd))


def _rational_point(rng: np.random.Generator, d: int, k: int, kind: str = "full"):
    """A rational student (A, B, C) and the exact moments of a rational teacher, length k."""
    A, B, C = _rational_student(rng, d, kind)
    atoms, weights = random_teacher_measure(rng, min(d, 2))
    return A, B, C, measure_moments(atoms, weights, k)


def _statement_cross_check(rng: np.random.Generator, law: str, K: int, holds: bool,
                           first_failure: int | None, ds: tuple[int, ...] = (2, 3)) -> dict:
    """Exact rates of `law` at rational points for every k ≤ K, by the independent gradient.

    The free-algebra verdict says the rate vanishes for k < first_failure (all k if it holds);
    this evaluates it exactly at one random rational point per (d, k) along the forward-mode
    gradient of `claims._gradcheck` (no symbolic engine, no model code) and lists the k where
    the two disagree.
    """
    disagree = []
    for k in range(1, K + 1):
        claimed_zero = holds or (first_failure is not None and k < first_failure)
        for d in ds:
            A, B, C, w = _rational_point(rng, d, k)
            rate = _rate(law, A, B, C, independent_gradient(A, B, C, w))
            zero = all(x == 0 for x in rate.ravel())
            # refuted at first_failure: the rate there must be nonzero at a generic point
            if claimed_zero != zero and (claimed_zero or k == first_failure):
                disagree.append(f"d={d} k={k}")
    return {"k_checked": f"1..{K}", "d_checked": list(ds), "disagreements": disagree}


def c2_symbolic(rng: np.random.Generator, *, K: int = 8, K_sympy: int = 8,
                full_d: tuple[int, ...] = (1, 2, 3), diagonal_d: tuple[int, ...] = (1, 2, 3, 4),
                k_max: int = 5, law: str = "Q") -> Outcome:
    """C2, symbolic part: `law` is conserved by the gradient flow of L_k (Q by default).

    1. Proof for all d: in the free algebra d(law)/dt expands to 0 along dθ/dt = -∇L_k,
       k = 1..K (word engine; sympy's noncommutative expand agrees for k ≤ K_sympy, stated in
       the evidence when K_sympy < K); with the Noether identity ∇_A L Aᵀ - Aᵀ∇_A L + ∇_B L Bᵀ
       - Cᵀ∇_C L = 0 and the derived gradients equal to proofs/theory.md's formulas. At every k ≤ K
       the verdict is also checked exactly at rational points (d = 2, 3) with the independent
       forward-mode gradient, and the same prover must refute the known-false laws Q+ (sign of
       CᵀC flipped) and B - Cᵀ: a prover that proves a false law makes the part INCONCLUSIVE.
    2. Derivation: for full d ∈ full_d and diagonal d ∈ diagonal_d, k ≤ k_max, the exact
       quadratic ansatz finds all conserved quadratic forms; the law's entries (Q_pq /
       b_i² - c_i²) must lie in their span, Q+'s must not. Also reported: whether the span
       *equals* theirs. Proof and derivation contradicting each other is INCONCLUSIVE.
    A false `law` ("Q+", "B-C^T") makes both parts FAIL, which is how the check is shown to fail.
    """
    K = check_int("K", K, minimum=1, maximum=60)
    K_sympy = check_int("K_sympy", K_sympy, minimum=1, maximum=40)
    k_max = check_int("k_max", k_max, minimum=1, maximum=8)
    law = check_choice("law", law, _LAWS)
    for name, ds in (("full_d", full_d), ("diagonal_d", diagonal_d)):
        for d in ds:
            check_int(name, d, minimum=1, maximum=8 if name == "diagonal_d" else 4)
    words_check = conservation_identity(law, K)
    ident = _identity_outcome("identity", words_check,
                              conservation_identity(law, min(K, K_sympy), engine="sympy"))
    # The same prover on known-false laws: each must be refuted (at k = 1 already).
    controls = {f: conservation_identity(f, K) for f in _FALSE_LAWS if f != law}
    proved_false = [f for f, c in controls.items() if c.holds]
    cross = _statement_cross_check(rng, law, K, words_check.holds, words_check.first_failure_k)
    ev = {**ident.evidence, "false_laws_refuted": {f: c.first_failure_k for f, c in controls.items()},
          "exact_cross_check_k": cross["k_checked"], "exact_cross_check_d": cross["d_checked"],
          "exact_cross_check_disagreements": "; ".join(cross["disagreements"]) or "none"}
    if proved_false:
        ident = Outcome(Status.INCONCLUSIVE, f"the prover proves a false law ({', '.join(proved_false)}"
                        f" 'conserved' for k = 1..{K})", ev)
    elif cross["disagreements"]:
        ident = Outcome(Status.INCONCLUSIVE, "the free-algebra verdict disagrees with exact rates at "
                        f"rational points ({'; '.join(cross['disagreements'][:3])})", ev)
    else:
        ident = Outcome(ident.status, ident.reason + f"; false laws {', '.join(controls)} refuted; "
                        f"exact rates agree at every k ≤ {K}", ev, ident.counterexample)
    parts = {"identity": ident}
    if law == "Q":
        parts["noether"] = _identity_outcome("noether", noether_identity(K),
                                             noether_identity(min(K, K_sympy), engine="sympy"))
    cases, not_contained, equal_k_ge_2, larger, false_in = 0, [], True, [], []
    for param, ds in (("full", full_d), ("diagonal", diagonal_d)):
        for d in ds:
            for k in range(1, k_max + 1):
                system = rnn_system(param, d, k)
                space = discover_laws(system, rng)
                cases += 1
                if not _in_span(system, space.laws, law_polys(param, d, law)):
                    not_contained.append(f"{param} d={d} k={k}")
                if law == "Q" and k >= 2 and _in_span(system, space.laws, law_polys(param, d, "Q+")):
                    false_in.append(f"{param} d={d} k={k}")
                if not space.matches_expected:
                    larger.append(f"{param} d={d} k={k}: {space.dim} vs {space.expected_dim}")
                    equal_k_ge_2 &= k == 1
    ev = {"cases": cases, "law": law, "cases_law_not_conserved": len(not_contained),
          "cases_false_law_Q+_in_span": len(false_in),
          "span_equals_known_laws_for_k_ge_2": equal_k_ge_2,
          "cases_with_more_quadratic_laws": "; ".join(larger) or "none",
          "arithmetic": "exact (python-flint fmpz_mpoly, fmpz_mat)", "tolerance": 0,
          "python_flint": flint.__version__}
    if false_in:
        parts["ansatz"] = Outcome(Status.INCONCLUSIVE, f"the derived span contains the false law Q+ "
                                  f"in {len(false_in)} cases (e.g. {false_in[0]})", ev)
    elif not_contained:
        parts["ansatz"] = Outcome(Status.FAIL, f"{law} not among the derived conserved forms in "
                                  f"{len(not_contained)} cases", ev,
                                  counterexample={"cases": not_contained[:5]})
    else:
        parts["ansatz"] = Outcome(Status.PASS, f"{law}'s entries lie in the derived conserved "
                                  f"quadratic forms in all {cases} cases", ev)
    out = combine(parts)
    statuses = {o.status for o in parts.values()}
    if {Status.PASS, Status.FAIL} <= statuses:
        # A proof for all d and a derivation that contradicts it: one engine is wrong.
        return Outcome(Status.INCONCLUSIVE, "proof and derivation disagree: " + out.reason,
                       out.evidence, out.counterexample)
    return out


# C2 is registered in `claims.composite`, joined with the numeric high-precision part.
C2_SYMBOLIC_DEFAULTS: dict = {"K": 8, "K_sympy": 8, "full_d": (1, 2, 3), "diagonal_d": (1, 2, 3, 4),
                              "k_max": 5, "law": "Q"}
# sympy's expansion at k = 40 takes minutes (~150 s for the three identities): it cross-checks
# k ≤ 20, the exact rational evaluation every k ≤ 40.
C2_SYMBOLIC_THOROUGH: dict = {"K": 40, "K_sympy": 20, "full_d": (1, 2, 3, 4),
                              "diagonal_d": tuple(range(1, 9)), "k_max": 6}


def c4_symbolic(rng: np.random.Generator, *, K: int = 8, K_sympy: int = 8,
                manifold: str = "balanced") -> Outcome:
    """C4, symbolic part: on {A = Aᵀ, B = Cᵀ}, ∇_A L is symmetric and ∇_B L = (∇_C L)ᵀ.

    Free-algebra identities after substituting Aᵀ → A, Cᵀ → B, Bᵀ → C, for k = 1..K (all d);
    sympy's noncommutative expansion cross-checks k ≤ K_sympy. The same prover must refute
    tangency on the larger set {B = Cᵀ} (A not symmetric), else INCONCLUSIVE; and at every
    k ≤ K the independent forward-mode gradient at a rational point of the manifold (d = 3)
    must be tangent exactly. `manifold="B=C^T only"` (A not symmetric) must FAIL.
    """
    K = check_int("K", K, minimum=1, maximum=60)
    K_sympy = check_int("K_sympy", K_sympy, minimum=1, maximum=40)
    manifold = check_choice("manifold", manifold, ("balanced", "B=C^T only"))
    out = _identity_outcome("tangency", balanced_tangency(K, manifold),
                            balanced_tangency(min(K, K_sympy), manifold, engine="sympy"))
    control = balanced_tangency(K, "B=C^T only")
    not_tangent = []
    for k in range(1, K + 1):
        A, B, C, w = _rational_point(rng, 3, k, kind="balanced" if manifold == "balanced" else "full")
        if manifold != "balanced":
            C = B.T.copy()
        dA, dB, dC = independent_gradient(A, B, C, w)
        if not (np.all(dA == dA.T) and np.all(dB == dC.T)):
            not_tangent.append(k)
    ev = {**out.evidence, "control_B=C^T_only_refuted_at_k": control.first_failure_k,
          "exact_tangency_k_checked": f"1..{K}",
          "exact_tangency_fails_at_k": not_tangent[:10] or "none"}
    if control.holds:
        return Outcome(Status.INCONCLUSIVE, "the prover proves tangency on {B = Cᵀ} with A free "
                       f"(false) for k = 1..{K}", ev)
    if (out.status is Status.PASS) == bool(not_tangent) and out.status is not Status.INCONCLUSIVE:
        return Outcome(Status.INCONCLUSIVE, f"free-algebra verdict {out.status.value} but the exact "
                       f"gradient at rational points is {'not ' if not_tangent else ''}tangent "
                       f"(k = {not_tangent[:5]})", ev)
    return Outcome(out.status, out.reason, ev, out.counterexample)


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


@claim(
    "N2",
    title="B - Cᵀ is conserved (false)",
    statement="Negative control: B - Cᵀ is conserved under gradient flow",
    kind=Kind.CONSERVED,
    defaults={"d": 2, "k": 3, "d_hat": 2, "n_points": 5, "K": 8, "quantity": "B-C^T"},
    thorough={"d": 4, "k": 6, "n_points": 50, "K": 40},
    engines=("symbolic", "model"),
    headline=("max_abs_rate", "rates_match_theory", "in_derived_laws", "identity_holds"),
)
def check_n2(rng: np.random.Generator, *, d: int, k: int, d_hat: int, n_points: int, K: int,
             quantity: str) -> Outcome:
    """Is `quantity` conserved? Exact rates at rational points, the ansatz, the free algebra.

    At `n_points` random rational full students θ and rational teachers, d(quantity)/dt is
    evaluated exactly three ways: with the gradient engine (`model.loss_gradient`), with the
    independent forward-mode gradient (`claims._gradcheck`), and from proofs/theory.md §2's formulas
    (for B - Cᵀ: `2 Σ_j r_j (A^j B - (Aᵀ)^j Cᵀ)`; for Q: 0). FAIL needs all of: the three agree
    exactly at every point, the rate is nonzero somewhere (the counterexample), the free-algebra
    prover refutes the law, and its entries are not among the derived conserved forms; any
    disagreement is INCONCLUSIVE with the mismatch. `quantity="Q"` (true) must PASS.
    """
    d = check_int("d", d, minimum=1, maximum=4)
    k = check_int("k", k, minimum=1, maximum=8)
    d_hat = check_int("d_hat", d_hat, minimum=1, maximum=39)
    n_points = check_int("n_points", n_points, minimum=1)
    K = check_int("K", K, minimum=1, maximum=60)
    quantity = check_choice("quantity", quantity, ("B-C^T", "Q"))
    ident = conservation_identity(quantity, K)
    system = rnn_system("full", d, k)
    space = discover_laws(system, rng)
    in_laws = _in_span(system, space.laws, law_polys("full", d, quantity))
    worst, counter, mismatch, points = Fraction(0), None, [], []
    for i in range(n_points):
        A, B, C = _rational_student(rng, d, "full")
        atoms, weights = random_teacher_measure(rng, d_hat)
        wl = measure_moments(atoms, weights, k)
        w = np.array(wl, dtype=object)
        points.append((A, B, C, wl))
        rate = _rate(quantity, A, B, C, loss_gradient(A, B, C, w))
        independent = _rate(quantity, A, B, C, independent_gradient(A, B, C, wl))
        predicted = _rate(quantity, A, B, C, theory_gradient(A, B, C, wl))
        if quantity == "Q":
            predicted = predicted * 0  # proofs/theory.md C2: dQ/dt = 0
        for label, other in (("independent derivation", independent), ("theory.md formula", predicted)):
            gap = max(abs(x - y) for x, y in zip(rate.ravel(), other.ravel(), strict=True))
            if gap != 0:
                mismatch.append(f"point {i}: engine rate vs {label} differs by {float(gap):.3g}")
        m = max(abs(x) for x in rate.ravel())
        if m > worst:
            worst = m
            counter = {"A": A.tolist(), "B": B.ravel().tolist(), "C": C.ravel().tolist(),
                       "teacher_atoms": atoms, "teacher_weights": weights, "k": k,
                       f"d({quantity})/dt": rate.ravel().tolist(),
                       "predicted_by_proofs/theory.md": predicted.ravel().tolist()}
    grad = check_gradient(points[:2])
    ev = {"max_abs_rate": worst, "n_points": n_points, "rates_match_theory": not mismatch,
          "rate_mismatches": "; ".join(mismatch[:3]) or "none", "in_derived_laws": in_laws,
          "identity_holds": ident.holds, "identity_refuted_at_k": ident.first_failure_k,
          "identity_residue": ident.residue or "0", "quantity": quantity, "d": d, "k": k,
          "arithmetic": "exact rational", "tolerance": 0, **grad.evidence()}
    bad_grad = gradient_outcome(grad, ev)
    if bad_grad is not None:
        return bad_grad
    if mismatch:
        return Outcome(Status.INCONCLUSIVE, f"d({quantity})/dt from the engine disagrees with the "
                       f"prediction: {mismatch[0]}", ev)
    if worst != 0:
        if ident.holds or in_laws:
            return Outcome(Status.INCONCLUSIVE, f"exact rates of {quantity} are nonzero, yet the "
                           f"symbolic engine calls it conserved (identity holds: {ident.holds}, "
                           f"in derived laws: {in_laws})", ev)
        return Outcome(Status.FAIL, f"d({quantity})/dt = {float(worst):.4g} ≠ 0 at an explicit "
                       "rational point (exact; equals proofs/theory.md's 2Σ r_j (A^j B - (Aᵀ)^j Cᵀ) and the "
                       f"independent derivation); the prover refutes it at k = {ident.first_failure_k}",
                       ev, counterexample=counter)
    if ident.holds and in_laws:
        return Outcome(Status.PASS, f"{quantity} conserved: rate 0 at all points, identity holds",
                       ev)
    return Outcome(Status.INCONCLUSIVE, "no nonzero rate at the points, but no proof either", ev)
