"""The command line: tables, JSON, exit codes, one-line errors, lazy start-up, progress lines."""

import argparse
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theory_check.cli import COMMANDS, NEGATIVE_NUMBER_LIST, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _subparsers(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every (sub-)sub-command parser by its full name, e.g. 'sweep run', 'moments interval'."""
    out: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, p in action.choices.items():
                full = f"{prefix} {name}".strip()
                out[full] = p
                out.update(_subparsers(p, full))
    return out


# ------------------------------------------------------------------ list and the claim index

def test_list_shows_every_registered_claim(capsys) -> None:
    from theory_check import claims

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    ids = [c.id for c in claims.all_claims()]
    assert len(ids) >= 16
    for c in claims.all_claims():
        verdict = "PASS" if c.expected else "FAIL"
        head = rf"^{c.id}\s+{c.kind}\s+expected {verdict}\s+{re.escape(c.title)}$"
        assert re.search(head, out, flags=re.M), c.id
        assert " ".join(c.statement.split()) in " ".join(out.split())
    assert out.strip().splitlines()[-1].startswith(f"{len(ids)} claims")


def test_list_json_like_every_command(tmp_path, capsys) -> None:
    from theory_check._claim_index import CLAIMS

    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == list(CLAIMS)
    path = tmp_path / "claims.json"
    assert main(["list", "--json", str(path)]) == 0
    assert json.loads(path.read_text()) == list(CLAIMS)
    assert f"{len(CLAIMS)} claims:" in capsys.readouterr().out  # with FILE the table still prints


def test_the_static_claim_index_equals_the_live_registry() -> None:
    # `list` reads theory_check/_claim_index.py; regenerate it with `theory-check list --refresh`.
    from theory_check import claims
    from theory_check._claim_index import CLAIMS
    from theory_check.cli._claims import index_rows, index_source

    live = index_rows(claims.all_claims())
    assert list(CLAIMS) == live, "stale index: run `theory-check list --refresh`"
    assert (ROOT / "theory_check" / "_claim_index.py").read_text() == index_source(live)


def test_list_refresh_rewrites_the_index(monkeypatch, tmp_path) -> None:
    import theory_check.cli._claims as cc

    target = tmp_path / "_claim_index.py"
    target.write_text("CLAIMS = ()\n")
    spec = type("Spec", (), {"origin": str(target)})()
    monkeypatch.setattr("importlib.util.find_spec", lambda name: spec)
    path, rows = cc.refresh_index()
    assert path == target and len(rows) >= 16
    ns: dict = {}
    exec(target.read_text(), ns)
    assert list(ns["CLAIMS"]) == rows


# ------------------------------------------------------------------ start-up stays light

HEAVY = ("numpy", "scipy", "sympy", "cvxpy", "matplotlib", "mpmath", "flint", "theory_check.claims")


def _imported_by(argv: list[str]) -> set[str]:
    code = ("import sys\nfrom theory_check.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('MODULES', ' '.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("MODULES"))
    return {m for m in line.split()[1:] if any(m == h or m.startswith(h + ".") for h in HEAVY)}


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["list"], ["list", "--json"],
                                  ["verify", "--seed", "x"],
                                  ["frobnicate"], ["lsit"], ["train", "--teacher-atoms", "0.5", "--sed", "3"],
                                  ["train", "--help"], ["integrate", "--help"],
                                  ["sweep", "--help"], ["sweep", "run", "--help"], ["verify", "--help"],
                                  ["figures", "--help"], ["identify", "--help"],
                                  ["moments", "interval", "--help"], ["notes", "--help"],
                                  ["derive", "--help"], ["selftest", "--help"]])
def test_help_list_and_usage_errors_import_no_heavy_module(argv) -> None:
    assert _imported_by(argv) == set()


def test_the_static_help_of_each_command_is_the_registered_one() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {name: text for name, (_, text) in COMMANDS.items()}


def test_repeated_engine_constants_agree_with_the_engine() -> None:
    from theory_check import flow
    from theory_check.cli import _integrate

    assert (_integrate.METHODS, _integrate.PARAMS, _integrate.MAX_DPS) == (
        flow.METHODS, flow.PARAMS, flow.MAX_DPS)


def test_version(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"theory-check {version('theory-check')}"


# ------------------------------------------------------------------ verify

def test_verify_writes_json_and_ends_with_a_summary_and_each_reason(tmp_path, capsys) -> None:
    path = tmp_path / "out.json"
    assert main(["verify", "C1", "C5", "--seed", "3", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert [d["id"] for d in data] == ["C1", "C5"]
    for d in data:
        assert {"id", "expected", "status", "evidence", "counterexample", "seconds"} <= set(d)
        assert d["status"] == "PASS" and d["expected"] is True
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[-1] == "2/2 as expected (2 PASS, 0 negative controls FAIL)"
    for d in data:
        assert f"{d['id']} PASS: {d['reason'][:30]}" in out.replace("\n", " ")
    assert "np.float64" not in out and "array(" not in out


def test_verify_json_dash_prints_only_json(capsys) -> None:
    assert main(["verify", "C1", "--json", "-"]) == 0
    io_ = capsys.readouterr()
    assert [d["id"] for d in json.loads(io_.out)] == ["C1"]
    assert "1/1 as expected" in io_.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "C99"], "unknown claim id 'C99'; valid ids: C1"),
        (["verify", "--seed", "x"], "--seed must be an integer >= 0; got 'x'"),
        (["verify", "--seed", "-1"], "--seed must be an integer >= 0; got -1"),
        (["verify", "--only-user"], "--only-user needs --claims"),
        (["verify", "--claims", "nofile.py"], "--claims 'nofile.py': no such .py file"),
        (["train", "--teacher-atoms", "0.5", "--init-scale", "-1"],
         "--init-scale must be a finite number in [0, inf); got -1"),
        (["train", "--teacher-atoms", "0.5", "--lr", "nan"], "--lr must be a finite number in (0, inf)"),
        (["integrate", "--dps", "4"], "--dps must be an integer in [5, 200]; got 4"),
        (["train", "--teacher-atoms", "0.5", "--seed", "3"],
         "train: unknown option --seed (did you mean --seeds?)"),
        (["verify", "--sed=3"], "verify: unknown option --sed=3 (did you mean --seed?)"),
        (["sweep", "summarize", "r.jsonl", "--jsn"],
         "sweep summarize: unknown option --jsn (did you mean --json?)"),
        (["list", "C5"], "list: unexpected argument C5"),
        (["train", "--teacher-atoms", "0.5", "--model", "relu"],
         "--model must be one of linear, tanh, complex-diagonal, mimo; got 'relu'"),
        (["integrate", "--method", "rk4"], "--method must be one of taylor, odefun, dop853, gd; got 'rk4'"),
        (["train", "--teacher-atoms", "0.5", "--d"], "--d needs a value"),
        (["lsit"], "unknown command 'lsit' (did you mean list?); commands: list, verify"),
        (["train", "--teacher-atoms", "0.5,0.5"], "--teacher-atoms must be pairwise distinct"),
        (["train", "--teacher-atoms", "0.5,-0.5", "--teacher-weights", "1,-1"],
         "--teacher-weights must be finite numbers > 0"),
        (["integrate", "--teacher-weights", "1"], "--teacher-weights must have one weight per atom (2)"),
        (["frobnicate"], "unknown command 'frobnicate'; commands: list"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line_naming_the_option(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.fixture
def _registry_restored():
    """The test leaves the process-wide claim registry as it found it (user claims unloaded)."""
    from theory_check.claims import _user

    with _user.restored_registry():
        yield


@pytest.mark.usefixtures("_registry_restored")
def test_verify_loads_user_claim_files_and_judges_them(tmp_path, capsys) -> None:
    from theory_check.claims import _user

    with _user.restored_registry():  # the loaded claims must not leak into other tests
        _verify_user_claims(tmp_path, capsys)


def _verify_user_claims(tmp_path, capsys) -> None:
    examples = str(Path(__file__).parent / "examples")
    assert main(["verify", "--claims", examples, "--only-user", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["id"].count(".") == 1 for r in rows)  # only the namespaced user claims
    assert {r["status"] for r in rows} == {"PASS", "FAIL"}  # true claims and their controls
    wrong = tmp_path / "claims_wrong.py"
    wrong.write_text(
        "from theory_check.claims import Kind, Outcome, Status, claim\n"
        "@claim('mine.wrong', statement='1 = 2', kind=Kind.EQUALITY, expected=True)\n"
        "def check(rng):\n"
        "    return Outcome(Status.FAIL, '1 != 2', {}, counterexample={'x': 1})\n")
    assert main(["verify", "--claims", str(wrong), "--only-user"]) == 1  # not as expected
    capsys.readouterr()
    assert main(["verify", "--claims", str(wrong), "--only-user", "C1"]) == 2
    assert "not a claim loaded with --claims" in capsys.readouterr().err
    assert main(["verify", "--claims", str(tmp_path / "missing.py")]) == 2
    assert "missing.py" in capsys.readouterr().err


def test_console_script_has_no_traceback_on_bad_input() -> None:
    proc = subprocess.run([sys.executable, "-m", "theory_check.cli", "verify", "Z1"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "valid ids" in proc.stderr


def test_verify_exits_1_when_a_claim_is_not_as_expected(capsys) -> None:
    from theory_check.claims import REGISTRY, Kind, Outcome, Status, claim

    @claim("C98", title="always fails", statement="false", kind=Kind.EQUALITY)
    def _fails(rng):
        return Outcome(Status.FAIL, "by construction", {"x": 1.0}, {"why": "test"})

    try:
        assert main(["verify", "C98", "C1"]) == 1
        out = capsys.readouterr().out
        assert "C98 FAIL (expected PASS) ✗: by construction" in out
        assert out.strip().splitlines()[-1] == ("1/2 as expected (1 PASS, 0 negative controls FAIL); "
                                                "not as expected: C98 FAIL")
    finally:
        REGISTRY.pop("C98")


def test_closed_pipe_gives_no_traceback() -> None:
    # `theory-check derive … | head -c 20`: the reader leaves before the JSON is written.
    cmd = (f"'{sys.executable}' -m theory_check.cli derive --param full --d 2 --k 3 "
           "--format json | head -c 20 >/dev/null")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


# ------------------------------------------------------------------ negative numbers

@pytest.mark.parametrize("word", ["-1", "-1,3/10", "-0.5e-3", "-.5,-2", "-1/2,1/2", "-1E+2,3", "-3,"])
def test_negative_number_lists_are_values(word) -> None:
    assert NEGATIVE_NUMBER_LIST.match(word)


@pytest.mark.parametrize("word", ["-x", "--json", "-1x", "-h", "--1"])
def test_options_are_not_negative_numbers(word) -> None:
    assert not NEGATIVE_NUMBER_LIST.match(word)


# The required options of each command, so that one option at a time can be tried.
_REQUIRED = {
    "train": ["--teacher-atoms", "0.5"],
    "identify": ["--atoms", "1/2", "--weights", "1", "--k", "3"],
    "moments interval": ["--moments", "1,0,1", "--q", "3"],
    "sweep run": ["--out", "r.jsonl"],
    "sweep plot": ["r.jsonl", "--out", "f.png"],
    "sweep summarize": ["r.jsonl"],
}


def _string_options() -> list[tuple[str, str, str]]:
    """(command, option, dest) of every option in every command that takes one string value
    (the lists of numbers among them)."""
    out = []
    for name, p in _subparsers(build_parser()).items():
        for a in p._actions:
            if (a.option_strings and a.nargs is None and a.type is None and a.choices is None
                    and not isinstance(a, argparse._StoreConstAction | argparse._HelpAction
                                       | argparse._VersionAction | argparse._AppendAction)):
                out.append((name, a.option_strings[0], a.dest))
    return out


def test_every_command_has_list_options_checked() -> None:
    options = {(c, o) for c, o, _ in _string_options()}
    for expected in [("identify", "--atoms"), ("identify", "--weights"),
                     ("moments interval", "--moments"), ("integrate", "--teacher-atoms"),
                     ("train", "--teacher-atoms"), ("train", "--teacher-weights"),
                     ("sweep run", "--teacher-atoms"), ("sweep run", "--init-scale"),
                     ("sweep run", "--seed")]:
        assert expected in options


@pytest.mark.parametrize(("command", "option", "dest"), _string_options())
@pytest.mark.parametrize("word", ["-1,3/10", "-0.5e-3"])
def test_every_list_option_accepts_a_leading_minus(command, option, dest, word) -> None:
    argv = [*command.split(), *_REQUIRED.get(command, [])]
    argv = [*argv, option, word]
    args = build_parser(argv).parse_args(argv)
    assert getattr(args, dest) == word


def test_identify_with_a_negative_atom_runs(capsys) -> None:
    assert main(["identify", "--atoms", "-1,3/10", "--weights", "1,1", "--k", "3"]) == 0
    assert "identified by k=3" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["train", "--teacher-atoms", "1.5"],
                                  ["train", "--teacher-atoms", "0.5,-1.01"],
                                  ["integrate", "--teacher-atoms", "-2"],
                                  ["sweep", "--teacher-atoms", "1.5", "--out", "x.jsonl"]])
def test_teachers_outside_the_unit_interval_are_refused(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "--teacher-atoms must lie in [-1, 1]" in err and len(err.splitlines()) == 1


# ------------------------------------------------------------------ train, integrate: JSON and help

def test_train_help_explains_every_status_and_what_relative_means(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for status in ("converged", "max_steps", "diverged"):
        assert re.search(rf"{status} \S+", out)
    assert "E_q/|ŵ_0|" in out and "[re, im]" in out
    # The default tanh run ends max_steps (its loss never reaches 1e-12): the help says so.
    assert "tanh students do not reach 1e-12" in out and "max_steps the normal end" in out


def test_sweep_summarize_help_explains_every_status_column(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["sweep", "summarize", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for status in ("converged", "max_steps", "diverged"):
        assert re.search(rf"{status} = \S+", out)


def test_train_json_uses_re_im_pairs_for_every_learned_atom(tmp_path, capsys) -> None:
    path = tmp_path / "t.json"
    argv = ["train", "--teacher-atoms", "0.9,-0.5", "--d", "6", "--k", "5", "--steps", "3000",
            "--seeds", "2"]
    assert main([*argv, "--json", str(path)]) == 0
    table = capsys.readouterr().out
    assert "theory-check train" in table
    rows = json.loads(path.read_text())
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == rows  # the same students, on stdout
    for r in rows:
        for key in ("learned_atoms", "learned_weights"):
            assert r[key] and all(isinstance(x, list) and len(x) == 2 for x in r[key])
        assert sorted(round(a[0], 3) for a in r["learned_atoms"]) == [-0.5, 0.9]


def test_integrate_json_to_a_file_and_to_stdout(tmp_path, capsys) -> None:
    argv = ["integrate", "--d", "2", "--k", "3", "--T", "1", "--dps", "15", "--teacher-atoms", "-0.5,0.9"]
    path = tmp_path / "i.json"
    assert main([*argv, "--json", str(path)]) == 0
    assert "final_loss" in capsys.readouterr().out
    assert main([*argv, "--json", "-"]) == 0
    a, b = json.loads(path.read_text()), json.loads(capsys.readouterr().out)
    assert a.pop("seconds") > 0 and b.pop("seconds") > 0
    assert a == b


def test_integrate_says_its_status_first_in_the_table(capsys) -> None:
    argv = ["integrate", "--method", "gd", "--eta", "5", "--T", "100", "--d", "2", "--k", "3"]
    assert main(argv) == 1  # GD with η = 5 blows up
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["status", "diverged"] and lines[1].split() == ["t_end", "20"]
    assert main(["integrate", "--T", "1", "--d", "2", "--k", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["status", "ok"] and lines[1].split() == ["t_end", "1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "gd"], "--method gd needs --eta, a step size > 0"),
        (["--eta", "0.1"], "--eta applies only to method gd; got --method taylor"),
        (["--method", "dop853", "--dps", "40"], "--dps applies only to method taylor or odefun"),
    ],
)
def test_integrate_method_options_are_named_as_typed(argv, message, capsys) -> None:
    assert main(["integrate", *argv]) == 2
    assert message in capsys.readouterr().err


def test_figures_help_lists_every_registered_figure(capsys) -> None:
    from theory_check import figures
    from theory_check.cli._figures import FIGURES

    assert FIGURES == {f.id: f.title for f in figures.all_figures()}
    with pytest.raises(SystemExit):
        main(["figures", "--help"])
    out = capsys.readouterr().out
    assert all(f"{k}  {v}" in out for k, v in FIGURES.items())


# ------------------------------------------------------------------ selftest --list

def test_selftest_list_shows_full_ids_and_as_json(monkeypatch, capsys) -> None:
    from theory_check import claims, selftest

    monkeypatch.setenv("COLUMNS", "80")  # a narrow log must not truncate the ids
    assert main(["selftest", "--list"]) == 0
    out = capsys.readouterr().out
    ids = [s.id for s in selftest.catalogue()]
    assert ids and all(i in out for i in ids)
    assert main(["selftest", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ids and all(isinstance(r["quick"], bool) for r in rows)
    assert main(["selftest", "C1", "--list", "--json"]) == 0  # C1 rests on the model engine only
    rows = json.loads(capsys.readouterr().out)
    assert set(claims.get("C1").engines) == {"model"}
    assert rows and {r["engine"] for r in rows} == {"model"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--list", "--sabotage", "nope"], "--sabotage: unknown id 'nope'"),
        (["--jobs", "x"], "--jobs must be an integer >= 1; got 'x'"),
        (["--timeout", "0"], "--timeout must be a finite number in [1, inf); got 0"),
        (["--list", "--json", "."], "--json must be a file path or -; . is a directory"),
    ],
)
def test_selftest_bad_options_are_refused_before_any_run(argv, message, capsys) -> None:
    assert main(["selftest", *argv]) == 2
    assert message in capsys.readouterr().err


# ------------------------------------------------------------------ derive: options, JSON

@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--d", "50"], "--d must be an integer in [1, 9]; got 50"),  # the engine's limit, as typed
        (["--d", "x"], "--d must be an integer; got 'x'"),
        (["--param", "ful"], "--param must be one of full, diagonal, balanced; got 'ful'"),
        (["--format", "xml"], "--format must be one of md, latex, json; got 'xml'"),
        (["--model", "deep-linear", "--widths", "2,-3"], "--widths must be an integer in [1, 9]; got -3"),
        (["--json", "--format", "md"], "--json and --format md exclude each other"),
    ],
)
def test_derive_errors_name_the_option_as_typed(argv, message, capsys) -> None:
    assert main(["derive", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"theory-check: error: {message}"


def test_derive_json_like_every_command(tmp_path, capsys) -> None:
    argv = ["derive", "--model", "deep-linear", "--widths", "2,3,2"]
    path = tmp_path / "d.json"
    assert main([*argv, "--json", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert main([*argv, "--json"]) == 0
    a, b = json.loads(path.read_text()), json.loads(capsys.readouterr().out)
    assert a.pop("seconds") >= 0 and b.pop("seconds") >= 0
    assert a == b and a["certified"] is True and a["n_independent_laws"] == 6
    assert len(a["equations"]) == 4 + 12  # the outputs and dθ_i/dt for the 12 parameters


def test_derive_reports_its_stages_when_not_a_terminal(monkeypatch, capsys) -> None:
    import theory_check.cli._progress as prog
    import theory_check.symbolic as symbolic

    monkeypatch.setattr(prog, "INTERVAL", 0.01)
    real = symbolic.derive_model

    def slow(*a, on_stage, **kw):  # a derivation slow enough for the 0.01 s progress lines
        def stage(name):
            on_stage(name)
            time.sleep(0.1)
        return real(*a, on_stage=stage, **kw)

    monkeypatch.setattr(symbolic, "derive_model", slow)
    assert main(["derive", "--model", "deep-linear", "--json"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"theory-check derive: 0/2 stages \(0 %\), discovering conserved polynomials", err)
    assert re.search(r"theory-check derive: 1/2 stages \(50 %\), computing the Lie algebra rank", err)


# ------------------------------------------------------------------ progress when not a terminal

def test_progress_prints_plain_lines_when_not_a_terminal() -> None:
    from theory_check.cli._progress import count, progress

    stream = io.StringIO()
    with progress("demo", 4, show=count("tasks"), stream=stream, interval=0.05) as bar:
        bar.advance(note="first")
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2
    assert all(re.fullmatch(r"theory-check demo: 1/4 tasks \(25 %\), first, \d+ s elapsed, ~\d+ s left", x)
               for x in lines)


def test_progress_prints_nothing_for_a_short_run() -> None:
    from theory_check.cli._progress import progress

    stream = io.StringIO()
    with progress("demo", 2, stream=stream, interval=5.0) as bar:
        bar.advance()
    assert stream.getvalue() == ""


@pytest.mark.parametrize("method", ["taylor", "gd"])
def test_integrate_reports_time_reached_when_not_a_terminal(monkeypatch, capsys, method) -> None:
    import theory_check.cli._progress as prog

    monkeypatch.setattr(prog, "INTERVAL", 0.02)
    argv = ["integrate", "--d", "3", "--k", "4", "--T", "20", "--method", method, "--json", "-"]
    argv += ["--eta", "0.0005"] if method == "gd" else ["--dps", "25"]  # each method's own option
    assert main(argv) == 0
    err = capsys.readouterr().err
    times = [float(m) for m in re.findall(rf"theory-check integrate \({method}\): t = (\S+) / 20", err)]
    assert times and times == sorted(times) and times[-1] > 0


def test_train_reports_steps_when_not_a_terminal(monkeypatch, capsys) -> None:
    import theory_check.cli._progress as prog

    monkeypatch.setattr(prog, "INTERVAL", 0.02)
    assert main(["train", "--teacher-atoms", "0.9,-0.5", "--d", "30", "--steps", "4000",
                 "--loss-tol", "0", "--json", "-"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"theory-check train \(linear\): step \d+/4000 \(\d+ %\), 1 of 1 students active", err)


def test_table_numbers_have_significant_digits_and_no_numpy_reprs() -> None:
    from fractions import Fraction

    import mpmath
    import numpy as np

    from theory_check.cli._format import fmt

    assert fmt([np.float64(0.1234567), np.int64(3), 2.0]) == "[0.123, 3, 2]"
    assert fmt(np.array([1e-20, 2.5])) == "[1e-20, 2.5]"
    assert fmt(Fraction(1, 3)) == "1/3" and fmt(Fraction(10**8)) == "1e+08"
    assert fmt(mpmath.mpf("1.23456")) == "1.23" and fmt(float("nan")) == "nan"
    assert fmt(np.bool_(True)) == "true" and fmt(None) == "–" and fmt(1 - 2j) == "1-2i"
    assert fmt(list(range(10))) == "[0, 1, 2, 3, 4, 5, … (10 in all)]"


# ------------------------------------------------------- train: teacher and student kinds (issue 13)

def test_train_oscillating_teacher_is_a_damped_cosine() -> None:
    import argparse

    import numpy as np

    from theory_check.cli._train import _teacher_targets

    args = argparse.Namespace(teacher="oscillating", rho=0.9, omega=0.628, model="linear")
    teacher, d_hat = _teacher_targets(args, 60)
    j = np.arange(60)
    assert d_hat == 2
    np.testing.assert_allclose(teacher.impulse_response(60), 0.9**j * np.cos(0.628 * j),
                               rtol=0, atol=1e-13)


def test_train_oscillating_teacher_full_student_learns_the_complex_pair(capsys) -> None:
    import cmath

    assert main(["train", "--teacher", "oscillating", "--rho", "0.9", "--omega", "0.628",
                 "--d", "10", "--steps", "20000", "--loss-tol", "1e-10", "--json", "-"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "converged" and row["train_loss"] <= 1e-10
    assert row["effective_dim"] == 2 and row["extrapolation_error_rel"] < 1e-2
    # Its atoms are the pair ρe^{±iω}.
    atoms = [complex(*a) for a in row["learned_atoms"]]
    assert len(atoms) == 2
    for z in atoms:
        assert abs(abs(z) - 0.9) < 1e-2 and abs(abs(cmath.phase(z)) - 0.628) < 1e-2


def test_train_complex_diagonal_student_json(capsys) -> None:
    import math

    assert main(["train", "--teacher", "oscillating", "--rho", "0.9", "--omega", "0.628",
                 "--model", "complex-diagonal", "--d", "4", "--steps", "300", "--seeds", "2",
                 "--horizon", "40", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [0, 1]
    for r in rows:
        assert {"seed", "status", "train_loss", "extrapolation_error", "extrapolation_error_rel",
                "horizon", "effective_dim", "modes", "steps"} == set(r)
        assert r["horizon"] == 40 and r["status"] in ("converged", "max_steps", "diverged")
        assert 1 <= len(r["modes"]) <= 4 and all(len(z) == 2 for z in r["modes"])
        # The loss went down from its start Σ_{j<k} ŵ_j² (the student starts at g ≈ 0).
        j = range(5)
        assert r["train_loss"] < sum((0.9**i * math.cos(0.628 * i)) ** 2 for i in j)


def test_train_mimo_student_fits_and_extrapolates(capsys) -> None:
    assert main(["train", "--model", "mimo", "--m", "2", "--teacher-atoms", "0.9,-0.5",
                 "--teacher-b", "1,0;1/2,1", "--k", "3", "--seeds", "2", "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)
    for r in rows:
        assert r["status"] == "converged" and r["train_loss"] <= 1e-12
        assert r["effective_dim"] == 2 and r["extrapolation_error_rel"] < 1e-3
        assert r["horizon"] == 100 and "B_minus_Ct_rel" in r
    # The table names the model and the teacher.
    assert main(["train", "--model", "mimo", "--teacher-atoms", "0.9,-0.5", "--teacher-b",
                 "1,0;1/2,1", "--k", "3", "--steps", "5"]) == 0
    out = capsys.readouterr().out
    assert "mimo" in out and "b=1,0;1/2,1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--teacher", "sine"], "--teacher must be one of balanced, oscillating; got 'sine'"),
        (["--model", "rnn"], "--model must be one of linear, tanh, complex-diagonal, mimo"),
        (["--teacher", "oscillating", "--rho", "0.9"], "--teacher oscillating needs --rho"),
        (["--teacher", "oscillating", "--rho", "1.5", "--omega", "1"],
         "--rho must be a finite number in (0, 1]; got 1.5"),
        (["--teacher", "oscillating", "--rho", "0.5", "--omega", "4"], "--omega must be"),
        (["--teacher", "oscillating", "--rho", "0.5", "--omega", "1", "--teacher-atoms", "0.5"],
         "--teacher-atoms applies to --teacher balanced only"),
        (["--teacher-atoms", "0.5", "--omega", "1"], "--omega applies to --teacher oscillating only"),
        ([], "--teacher-atoms is required for --teacher balanced"),
        (["--teacher-atoms", "0.5", "--model", "mimo"], "--model mimo needs --teacher-b"),
        (["--teacher-atoms", "0.5,0.2", "--model", "mimo", "--teacher-b", "1,0"],
         "--teacher-b must have one vector per atom (2); got 1"),
        (["--teacher-atoms", "0.5,0.2", "--model", "mimo", "--teacher-b", "1,0;1"],
         "--teacher-b vectors must all have the same length"),
        (["--teacher-atoms", "0.5,0.2", "--model", "mimo", "--teacher-b", "1,0;x,1"],
         "--teacher-b must be vectors of numbers or fractions"),
        (["--teacher-atoms", "0.5,0.2", "--model", "mimo", "--teacher-b", "1,0;1,1", "--m", "3"],
         "--m must equal the length of each --teacher-b vector (2); got 3"),
        (["--teacher-atoms", "0.5", "--model", "mimo", "--teacher-b", "1", "--teacher-weights", "2"],
         "--teacher-weights applies to scalar teachers"),
        (["--teacher", "oscillating", "--rho", "0.5", "--omega", "1", "--model", "mimo"],
         "--teacher must be balanced for --model mimo"),
        (["--teacher-atoms", "0.5", "--m", "2"], "--teacher-b and --m apply to --model mimo only"),
        (["--teacher-atoms", "0.5", "--model", "complex-diagonal", "--param", "diagonal"],
         "--param applies to --model linear only; got --model complex-diagonal"),
        (["--teacher-atoms", "0.5", "--model", "mimo", "--teacher-b", "1", "--n-train", "3"],
         "--n-train and --bias apply to --model tanh only; got --model mimo"),
        (["--teacher", "oscillating", "--rho", "0.5", "--omega", "1", "--model",
          "complex-diagonal", "--d", "1"], "--d must be >= the teacher dimension 2"),
        (["--teacher-atoms", "0.5", "--model", "complex-diagonal", "--k", "9", "--horizon", "4"],
         "--horizon must be >= --k (9); got 4"),
    ],
)
def test_train_bad_kind_combinations_are_one_line_exit_2(argv, message, capsys) -> None:
    assert main(["train", "--steps", "1", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
