"""User claims: namespaced ids, `claims.load`, installed plugins, `for_all`, and the pytest plugin."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from theory_check import claims
from theory_check.claims import Kind, Outcome, Status, _user, claim, for_all
from theory_check.strategies import teacher_measures

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"


@pytest.fixture(autouse=True)
def _registry_restored():
    """Every test leaves the process-wide registry as it found it."""
    with _user.restored_registry():
        yield


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


TRUE_AND_CONTROL = """
    from theory_check.claims import Kind, Outcome, Status, claim

    @claim("demo.T1", statement="one equals one", kind=Kind.EQUALITY, expected=True)
    def t1(rng):
        return Outcome(Status.PASS, "1 == 1", {"computed": 1.0})

    @claim("demo.N1", statement="a false statement", kind="rank", expected=False)
    def n1(rng):
        return Outcome(Status.FAIL, "refuted", {"rank": 2}, {"witness": 2})
"""


# ----------------------------------------------------------------------------- the decorator

@pytest.mark.parametrize("bad", ["L1", "mylab", "mylab.", ".L1", "my lab.L1", "C1a", "c1.", "mylab..L1"])
def test_ids_are_builtin_or_namespaced(bad: str) -> None:
    with pytest.raises(ValueError, match=r"namespaced like 'mylab\.L1'"):
        claim(bad, statement="s", kind=Kind.RANK, expected=True)


def test_user_claims_must_say_what_they_expect_and_name_a_kind() -> None:
    with pytest.raises(ValueError, match="must say expected=True"):
        claim("mylab.L1", statement="s", kind=Kind.RANK)
    with pytest.raises(ValueError, match="expected must be True or False"):
        claim("mylab.L1", statement="s", kind=Kind.RANK, expected="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be one of"):
        claim("mylab.L1", statement="s", kind="roughly", expected=True)
    with pytest.raises(ValueError, match="thorough names parameter"):
        claim("mylab.L1", statement="s", kind="rank", expected=True, thorough={"n": 2})


def test_user_claims_sort_after_builtins_and_are_found_by_id() -> None:
    for cid in ("zeta.Z1", "alpha.B2", "alpha.A1"):
        claim(cid, statement=cid, kind="equality", expected=True)(
            lambda rng: Outcome(Status.PASS, "ok", {}))
    ids = [c.id for c in claims.all_claims()]
    builtin = [c.id for c in claims.builtin_claims()]
    assert ids == [*builtin, "alpha.A1", "alpha.B2", "zeta.Z1"]
    assert [c.id for c in claims.user_claims()] == ["alpha.A1", "alpha.B2", "zeta.Z1"]
    assert claims.get("alpha.A1").id == "alpha.A1" and claims.get("ALPHA.a1").id == "alpha.A1"
    assert claims.get("c5").id == "C5"
    c = claims.get("zeta.Z1")
    assert not c.builtin and c.title == "zeta.Z1" and c.kind is Kind.EQUALITY
    with pytest.raises(ValueError, match=r"valid ids: C1.*zeta\.Z1"):
        claims.get("zeta.Z2")


def test_same_id_from_another_module_is_an_error_but_a_reload_replaces() -> None:
    def first(rng):
        return Outcome(Status.PASS, "first", {})

    def second(rng):
        return Outcome(Status.FAIL, "second", {})

    claim("dup.D1", statement="s", kind="rank", expected=True)(first)
    claim("dup.D1", statement="s", kind="rank", expected=True)(second)  # same module: a reload
    assert claims.get("dup.D1").verify().status is Status.FAIL
    second.__module__ = "someone_else"
    with pytest.raises(ValueError, match=r"registered twice: by .* and by someone_else"):
        claim("dup.D1", statement="s", kind="rank", expected=True)(second)


def test_user_claim_verifies_like_a_builtin_with_seed_and_thorough_parameters() -> None:
    @claim("demo.seeded", statement="the seed picks the draw", kind=Kind.EQUALITY, expected=True,
           defaults={"n": 3}, thorough={"n": 5})
    def seeded(rng, *, n):
        draw = rng.standard_normal(n)
        return Outcome(Status.PASS, "drawn", {"draw": draw, "n": n})

    c = claims.get("demo.seeded")
    a, b = c.verify(seed=4), c.verify(seed=4)
    assert np.array_equal(a.evidence["draw"], b.evidence["draw"])
    assert np.array_equal(a.evidence["draw"], np.random.default_rng(4).standard_normal(3))
    assert c.verify(thorough=True).evidence["n"] == 5 and a.as_expected
    assert a.to_json()["id"] == "demo.seeded" and a.provenance["seed"] == 4


# ----------------------------------------------------------------------------- claims.load

def test_load_a_file_returns_its_claims_and_loading_twice_registers_once(tmp_path) -> None:
    f = _write(tmp_path / "mine.py", TRUE_AND_CONTROL)
    n_before = len(claims.REGISTRY)
    first = claims.load(str(f))
    assert [c.id for c in first] == ["demo.N1", "demo.T1"]
    again = claims.load(str(f))
    assert [id(c) for c in again] == [id(c) for c in first]
    assert len(claims.REGISTRY) == n_before + 2
    results = {c.id: c.verify() for c in first}
    assert results["demo.T1"].status is Status.PASS and results["demo.T1"].as_expected
    assert results["demo.N1"].status is Status.FAIL and results["demo.N1"].as_expected
    assert results["demo.N1"].counterexample == {"witness": 2}


def test_a_changed_file_is_loaded_again_and_its_old_claims_go(tmp_path) -> None:
    f = _write(tmp_path / "mine.py", TRUE_AND_CONTROL)
    claims.load(str(f))
    _write(f, textwrap.dedent(TRUE_AND_CONTROL).replace("demo.N1", "demo.N2") + "\n# edited\n")
    assert [c.id for c in claims.load(str(f))] == ["demo.N2", "demo.T1"]
    assert "demo.N1" not in claims.REGISTRY and "demo.N2" in claims.REGISTRY


def test_load_puts_back_claims_removed_from_the_registry(tmp_path) -> None:
    f = _write(tmp_path / "mine.py", TRUE_AND_CONTROL)
    with _user.restored_registry():
        claims.load(str(f))
    assert "demo.T1" not in claims.REGISTRY
    assert [c.id for c in claims.load(str(f))] == ["demo.N1", "demo.T1"]
    assert "demo.T1" in claims.REGISTRY


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.py", None, "no such .py file"),
        ("notes.txt", "x = 1\n", "no such .py file"),
        ("syntax.py", "def broken(:\n", "importing it raised SyntaxError"),
        ("raises.py", "raise RuntimeError('boom')\n", "importing it raised RuntimeError: boom"),
        ("empty.py", "x = 1\n", "registers no claims"),
        ("halfway.py", textwrap.dedent(TRUE_AND_CONTROL) + "\nraise RuntimeError('late')\n",
         "RuntimeError: late"),
    ],
)
def test_a_bad_file_is_a_value_error_naming_it_and_registers_nothing(tmp_path, name, text, message) -> None:
    f = tmp_path / name
    if text is not None:
        _write(f, text)
    before = dict(claims.REGISTRY)
    with pytest.raises(ValueError, match=message) as err:
        claims.load(str(f))
    assert str(f) in str(err.value)
    assert claims.REGISTRY == before


def test_a_directory_loads_its_claim_files(tmp_path) -> None:
    found = claims.load(str(EXAMPLES))
    assert [c.id for c in found] == sorted(c.id for f in EXAMPLES.glob("claims_*.py")
                                           for c in claims.load(str(f)))
    assert len(found) >= 4
    with pytest.raises(ValueError, match="holds no claim files"):
        claims.load(str(tmp_path))


@pytest.mark.parametrize("spec", ["no_such_module_xyz", "no_such_pkg_xyz.claims", "not a module", ""])
def test_a_bad_module_name_is_a_value_error_naming_it(spec: str) -> None:
    with pytest.raises(ValueError, match="claims spec"):
        claims.load(spec)


def test_load_a_module_by_name(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "uc_demo_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    _write(pkg / "claims_mod.py", TRUE_AND_CONTROL)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = claims.load("uc_demo_pkg.claims_mod")
        assert [c.id for c in found] == ["demo.N1", "demo.T1"]
        assert found[0].source == "uc_demo_pkg.claims_mod"
        assert [c.id for c in claims.load("uc_demo_pkg.claims_mod")] == ["demo.N1", "demo.T1"]
    finally:
        for m in ("uc_demo_pkg.claims_mod", "uc_demo_pkg"):
            sys.modules.pop(m, None)


def _install_plugin(site: Path, dist: str, module: str, text: str) -> None:
    """A minimal installed distribution on sys.path with one `theory_check.claims` entry point."""
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[theory_check.claims]\n{dist} = {module}\n")
    _write(site / f"{module}.py", text)


def test_installed_plugins_are_loaded_from_their_entry_points(tmp_path, monkeypatch) -> None:
    _install_plugin(tmp_path, "uc_plugin_ok", "uc_plugin_ok_claims", TRUE_AND_CONTROL)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = claims.load_plugins()
        assert {"demo.N1", "demo.T1"} <= {c.id for c in found}
        assert all(c.source == "uc_plugin_ok_claims" for c in found if c.id.startswith("demo."))
        assert "demo.T1" in claims.REGISTRY
        assert {c.id for c in claims.load_plugins()} == {c.id for c in found}  # idempotent
    finally:
        sys.modules.pop("uc_plugin_ok_claims", None)


def test_a_broken_plugin_is_a_value_error_naming_it(tmp_path, monkeypatch) -> None:
    _install_plugin(tmp_path, "uc_plugin_bad", "uc_plugin_bad_claims", "raise ImportError('no lab')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"claims plugin 'uc_plugin_bad'.*ImportError: no lab"):
        claims.load_plugins()


# ----------------------------------------------------------------------------- for_all

def test_for_all_passes_a_true_statement_with_its_numbers() -> None:
    out = for_all(teacher_measures(max_dim=3), lambda m: (len(m[0]), len(m[1])),
                  rng=np.random.default_rng(0), kind=Kind.RANK)
    assert out.status is Status.PASS, out.reason
    assert out.evidence["n_checked"] >= 1 and out.evidence["max_deviation"] == 0
    assert out.evidence["max_examples"] == settings.default.max_examples


def test_for_all_fails_with_the_shrunk_counterexample() -> None:
    # "every teacher has one atom" is false; the minimal counterexample has exactly two atoms.
    out = for_all(teacher_measures(max_dim=3), lambda m: (len(m[0]), 1),
                  rng=np.random.default_rng(0), kind=Kind.RANK)
    assert out.status is Status.FAIL
    example = out.counterexample["example"]
    assert len(example[0]) == 2 and out.counterexample["computed"] == 2
    assert "shrunk" in out.reason


def test_for_all_is_inconclusive_on_nan_and_on_a_raising_check_never_pass() -> None:
    rng = np.random.default_rng(0)
    nan = for_all(st.integers(0, 5), lambda x: (float("nan") if x == 3 else 0.0, 0.0), rng=rng,
                  kind=Kind.EQUALITY, tol=1e-9, max_examples=50)
    assert nan.status is Status.INCONCLUSIVE and nan.evidence["n_inconclusive"] >= 1

    def solver(x):
        if x % 2:
            raise np.linalg.LinAlgError("singular matrix")
        return 0.0, 0.0

    raised = for_all(st.integers(0, 5), solver, rng=rng, kind=Kind.EQUALITY, max_examples=50)
    assert raised.status is Status.INCONCLUSIVE and "LinAlgError" in raised.reason
    # A FAIL anywhere still wins over undecided examples.
    mixed = for_all(st.integers(0, 5), lambda x: (1 / x, 0) if x else (float("nan"), 0), rng=rng,
                    kind=Kind.BOUND, max_examples=50)
    assert mixed.status is Status.FAIL


def test_for_all_examples_follow_the_seed_unless_the_profile_is_derandomized() -> None:
    def drawn(seed: int) -> list[int]:
        seen: list[int] = []
        for_all(st.integers(0, 10**9), lambda x: seen.append(x) or (0, 0),
                rng=np.random.default_rng(seed), kind=Kind.RANK, max_examples=10)
        return seen

    previous = settings.get_current_profile_name()
    settings.register_profile("uc_random", parent=settings.get_profile("default"), database=None)
    try:
        settings.load_profile("uc_random")  # not derandomized
        assert drawn(1) == drawn(1) and drawn(1) != drawn(2)
        settings.load_profile("ci")  # derandomized: the examples are fixed
        assert drawn(1) == drawn(2)
    finally:
        settings.load_profile(previous)


# ----------------------------------------------------------------------------- the examples

def test_example_files_give_the_expected_verdicts() -> None:
    rank = claims.load(str(EXAMPLES / "claims_hankel.py"))
    control = claims.load(str(EXAMPLES / "claims_identify.py"))
    r = rank[0].verify()
    assert r.status is Status.PASS and r.evidence["max_deviation"] == 0, r.reason
    n = control[0].verify()
    assert n.status is Status.FAIL and n.as_expected
    atoms, _weights = n.counterexample["example"]
    assert len(atoms) == 1 and -1 < float(atoms[0]) < 1  # one interior atom is not identified by k = 2
    other = n.counterexample["other_measure"]
    assert other["student_L_k"] < 1e-20 and other["student_E_q_relative"] > 0.1
    # At the true threshold k = 2d̂ + 1 (C6) the same check PASSes: it can tell the two apart.
    assert control[0].verify(extra_moments=None).status is Status.PASS


def _readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Your own claim\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def test_readme_snippet_is_short_and_its_claim_passes(tmp_path) -> None:
    snippet = _readme_snippet()
    assert len(snippet.strip().splitlines()) <= 15
    found = claims.load(str(_write(tmp_path / "claims_mylab.py", snippet)))
    assert [c.id for c in found] == ["mylab.L1"]
    r = found[0].verify(seed=3)
    assert r.status is Status.PASS and r.as_expected, r.reason


# ----------------------------------------------------------------------------- pytest plugin

def test_plugin_runs_the_readme_snippet_and_fails_it_when_made_false(pytester) -> None:
    snippet = _readme_snippet()
    pytester.makefile(".py", claims_mylab=snippet)
    pytester.runpytest("-p", "no:randomly", "-p", "no:xdist").assert_outcomes(passed=1)
    # The same claim with a wrong prediction must come out FAIL, with its counterexample.
    wrong = snippet.replace("len(atoms)", "len(atoms) + 1")
    assert wrong != snippet
    pytester.makefile(".py", claims_mylab=wrong)
    res = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*claim mylab.L1: expected PASS, got FAIL*", "*counterexample:*"])


def test_plugin_verdicts_true_claims_pass_controls_fail_inconclusive_fails(pytester) -> None:
    pytester.makefile(".py", claims_verdicts="""
        from theory_check.claims import Kind, Outcome, Status, claim

        @claim("v.true_pass", statement="s", kind=Kind.RANK, expected=True)
        def a(rng):
            return Outcome(Status.PASS, "fine", {"rank": 2})

        @claim("v.true_fail", statement="s", kind=Kind.RANK, expected=True)
        def b(rng):
            return Outcome(Status.FAIL, "rank 3, predicted 2", {"rank": 3}, {"witness": [1, 2, 3]})

        @claim("v.control_fail", statement="s", kind=Kind.RANK, expected=False)
        def c(rng):
            return Outcome(Status.FAIL, "refuted", {"rank": 3}, {"witness": 3})

        @claim("v.control_pass", statement="s", kind=Kind.RANK, expected=False)
        def d(rng):
            return Outcome(Status.PASS, "a control that cannot fail", {"rank": 2})

        @claim("v.undecided", statement="s", kind=Kind.RANK, expected=True)
        def e(rng):
            raise ArithmeticError("solver gave up")
    """)
    res = pytester.runpytest("-p", "no:randomly", "-p", "no:xdist", "-rf")
    res.assert_outcomes(passed=2, failed=3)
    out = res.stdout.str()
    res.stdout.fnmatch_lines(["*claim v.true_fail: expected PASS, got FAIL*", "*reason: rank 3, predicted 2*",
                              '*counterexample: {"witness": [[]1, 2, 3[]]}*'])
    assert "claim v.control_pass: expected FAIL (negative control), got PASS" in out
    assert "claim v.undecided: expected PASS, got INCONCLUSIVE" in out
    assert "ArithmeticError" in out and "solver gave up" in out


def test_plugin_options_seed_thorough_and_spec(pytester) -> None:
    target = int(np.random.default_rng(7).integers(10**6))
    pytester.makepyfile(my_claims=f"""
        from theory_check.claims import Kind, Outcome, Status, claim

        @claim("opt.seed", statement="s", kind=Kind.EQUALITY, expected=True)
        def seeded(rng):
            x = int(rng.integers(10**6))
            return Outcome(Status.PASS if x == {target} else Status.FAIL, f"drew {{x}}", {{"x": x}})

        @claim("opt.thorough", statement="s", kind=Kind.EQUALITY, expected=True,
               defaults={{"n": 1}}, thorough={{"n": 2}})
        def thorough(rng, *, n):
            return Outcome(Status.PASS if n == 2 else Status.FAIL, f"n = {{n}}", {{"n": n}})
    """)
    base = ["-p", "no:randomly", "-p", "no:xdist", "--theory-check-claims=my_claims.py"]
    pytester.runpytest(*base).assert_outcomes(failed=2)  # not a claims_*.py: only via the option
    pytester.runpytest(*base, "--theory-check-seed=7", "-k", "seed").assert_outcomes(passed=1)
    pytester.runpytest(*base, "--theory-check-thorough", "-k", "thorough").assert_outcomes(passed=1)
    bad = pytester.runpytest("-p", "no:xdist", "--theory-check-claims=nowhere.py")
    assert bad.ret != 0 and "nowhere.py" in bad.stderr.str() + bad.stdout.str()


def test_builtins_are_collected_only_when_asked(pytester) -> None:
    pytester.makefile(".py", claims_one=TRUE_AND_CONTROL)
    res = pytester.runpytest("-p", "no:xdist", "--collect-only", "-q")
    ids = [line for line in res.stdout.lines if "::" in line]
    assert sorted(ids) == ["claims_one.py::demo.N1", "claims_one.py::demo.T1"]
    res = pytester.runpytest("-p", "no:xdist", "--collect-only", "-q", "--theory-check-builtins")
    ids = [line.split("::")[-1] for line in res.stdout.lines if "::" in line]
    assert [i for i in ids if "." not in i] == [c.id for c in claims.builtin_claims()]
    assert {f"C{n}" for n in range(1, 12)} | {f"N{n}" for n in range(1, 6)} <= set(ids)
    assert {"demo.N1", "demo.T1"} <= set(ids)


def test_plugin_honours_hypothesis_profile(pytester, monkeypatch) -> None:
    pytester.makefile(".py", claims_profile="""
        from hypothesis import strategies as st
        from theory_check.claims import Kind, Outcome, Status, claim, for_all

        @claim("prof.P1", statement="s", kind=Kind.RANK, expected=True)
        def p1(rng):
            out = for_all(st.integers(0, 3), lambda x: (x, x), rng=rng, kind=Kind.RANK)
            ok = out.evidence["profile"] == "dev" and out.evidence["max_examples"] == 300
            return Outcome(Status.PASS if ok else Status.FAIL, str(out.evidence), out.evidence)
    """)
    previous = settings.get_current_profile_name()
    try:
        monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")
        pytester.runpytest("-p", "no:randomly", "-p", "no:xdist").assert_outcomes(passed=1)
        monkeypatch.setenv("HYPOTHESIS_PROFILE", "ci")
        pytester.runpytest("-p", "no:randomly", "-p", "no:xdist").assert_outcomes(failed=1)
    finally:
        settings.load_profile(previous)
    assert not settings.get_profile("dev").derandomize  # the plugin left the profiles as they were


def test_custom_model_example_true_recurrence_and_refuted_moment_sequence() -> None:
    found = {c.id: c for c in claims.load(str(EXAMPLES / "claims_rotation.py"))}
    rec = found["rotation.recurrence"].verify()
    assert rec.status is Status.PASS and rec.evidence["max_deviation"] <= 1e-12, rec.reason
    ms = found["rotation.moment_sequence"].verify()
    assert ms.status is Status.FAIL and ms.as_expected
    ce = ms.counterexample
    assert ce["hankel_min_eig_rel"] < -1e-9 and ce["det_H2_exact"] < 0  # det H_2 = -r² sin² φ
    # With the recurrence's tolerance at 0 ulp-level residuals refute it: the rule is applied.
    assert found["rotation.recurrence"].verify(tol=0.0).status is Status.FAIL


def test_example_directory_is_collected_through_the_plugin(pytester) -> None:
    for f in sorted(EXAMPLES.glob("claims_*.py")):
        pytester.makefile(".py", **{f.stem: f.read_text()})
    res = pytester.runpytest("-p", "no:xdist", "--collect-only", "-q")
    ids = sorted(line for line in res.stdout.lines if "::" in line)
    assert ids == ["claims_hankel.py::examples.hankel_rank",
                   "claims_identify.py::examples.few_moments_identify",
                   "claims_rotation.py::rotation.moment_sequence",
                   "claims_rotation.py::rotation.recurrence"]


def test_a_broken_claim_file_is_a_collection_error_naming_it(pytester) -> None:
    pytester.makefile(".py", claims_broken="raise RuntimeError('lab notebook missing')\n")
    res = pytester.runpytest("-p", "no:xdist")
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*claims_broken.py*RuntimeError: lab notebook missing*"])


def test_claim_decorator_is_reexported_at_the_top_level() -> None:
    import theory_check
    import theory_check.claims

    assert theory_check.claim is theory_check.claims.claim
