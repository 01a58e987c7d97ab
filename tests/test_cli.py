"""The command line: tables, JSON, exit codes, and one-line errors without tracebacks."""

import json
import subprocess
import sys

import pytest

from theory_check.cli import main


def test_list_shows_every_registered_claim(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for cid in ("C1", "C4", "C5"):
        assert cid in out


def test_verify_writes_json_and_exits_zero_when_all_as_expected(tmp_path, capsys) -> None:
    path = tmp_path / "out.json"
    assert main(["verify", "C1", "C5", "--seed", "3", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert [d["id"] for d in data] == ["C1", "C5"]
    for d in data:
        assert {"id", "expected", "status", "evidence", "counterexample", "seconds"} <= set(d)
        assert d["status"] == "PASS" and d["expected"] is True
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "C99"], "unknown claim id 'C99'; valid ids: C1"),
        (["verify", "--seed", "x"], "argument --seed: invalid int value"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_console_script_has_no_traceback_on_bad_input() -> None:
    proc = subprocess.run([sys.executable, "-m", "theory_check.cli", "verify", "Z1"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "valid ids" in proc.stderr


def test_verify_exits_1_when_a_claim_is_not_as_expected(monkeypatch, capsys) -> None:
    from theory_check.claims import REGISTRY, Outcome, Status, claim

    @claim("C98", title="always fails", statement="false", kind=claims_kind())
    def _fails(rng):
        return Outcome(Status.FAIL, "by construction", {"x": 1.0}, {"why": "test"})

    try:
        assert main(["verify", "C98"]) == 1
        assert "C98: expected PASS, got FAIL" in capsys.readouterr().out
    finally:
        REGISTRY.pop("C98")


def claims_kind():
    from theory_check.claims import Kind

    return Kind.EQUALITY


def test_closed_pipe_gives_no_traceback() -> None:
    # `theory-check derive … | head -c 20`: the reader leaves before the JSON is written.
    cmd = (f"'{sys.executable}' -m theory_check.cli derive --param full --d 2 --k 3 "
           "--format json | head -c 20 >/dev/null")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
