"""The README's examples run as printed: each ```python block of a section is executed verbatim
and its output compared with the ```text block the README says it prints."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _section(title: str) -> str:
    """The text of the README section `## title`, up to the next `## ` heading."""
    text = README.read_text()
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, f"README has no section '## {title}'"
    return m[1]


def _blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", section, flags=re.M | re.S)


def _run(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    return out.getvalue()


def test_your_own_model_runs_and_prints_what_the_readme_says() -> None:
    section = _section("Your own model")
    (code,), (printed,) = _blocks(section, "python"), _blocks(section, "text")
    assert "from theory_check.symbolic import model, derive_model" in code
    out = _run(code)
    assert out == printed
    # The numbers the README promises: 6 certified laws for the 2-3-2 deep linear net.
    assert out.splitlines()[0] == "6 True"


def test_api_in_ten_lines_runs_and_prints_what_the_readme_says() -> None:
    section = _section("API in ten lines")
    (code,), (printed,) = _blocks(section, "python"), _blocks(section, "text")
    out, shown = _run(code).splitlines(), printed.splitlines()
    assert out[:2] == shown[:2]  # the two students, exactly as the README shows them
    assert out[2].startswith("PASS ") and shown[2].startswith("PASS ")  # C9's verdict


def test_your_own_claim_passes_in_pytest_and_in_verify(tmp_path) -> None:
    (code,) = _blocks(_section("Your own claim"), "python")
    path = tmp_path / "claims_mylab.py"  # the file name the README uses
    path.write_text(code)
    # `theory-check verify --claims claims_mylab.py` adds it to the verdict table.
    proc = subprocess.run([sys.executable, "-m", "theory_check.cli", "verify", "--claims", str(path),
                           "--only-user", "--json"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert (result["id"], result["status"]) == ("mylab.L1", "PASS")
    assert "1/1 as expected" in proc.stderr

