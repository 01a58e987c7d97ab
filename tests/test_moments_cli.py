"""`identify` and `moments interval` on the command line: options named as typed, --json FILE."""

import json

import pytest

from theory_check.cli import main


@pytest.mark.parametrize(("argv", "message"), [
    (["identify", "--atoms", "2,3/10", "--weights", "1,1", "--k", "4"], "--atoms must lie in"),
    (["identify", "--atoms", "1/2,3/10", "--weights", "1,-1", "--k", "4"], "--weights must be > 0"),
    (["moments", "interval", "--moments", "1,0,1/2", "--q", "1"], "--q must be"),
])
def test_engine_refusals_name_the_option_as_typed(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_identify_json_file_and_stdout_agree_and_the_support_reads_as_an_interval(tmp_path,
                                                                                  capsys) -> None:
    argv = ["identify", "--atoms", "-1,3/10", "--weights", "1,1", "--k", "4"]
    assert main([*argv, "--json", str(tmp_path / "id.json")]) == 0
    table = capsys.readouterr().out
    assert "identified by k=4 moments on [-1, 1]" in table  # the table still goes to stdout
    assert main([*argv, "--json"]) == 0
    on_stdout = json.loads(capsys.readouterr().out)
    assert on_stdout == json.loads((tmp_path / "id.json").read_text())
    assert on_stdout["identified"] is True and on_stdout["width_exact"] == "0"


def test_interval_json_carries_exact_bounds(capsys) -> None:
    assert main(["moments", "interval", "--moments", "1,0,1/2", "--q", "3", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["lower"], out["upper"]) == (-0.25, 0.25)
