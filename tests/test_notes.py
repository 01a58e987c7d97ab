"""Proof notes: one per registered claim, and a generated block that is rewritten in place."""

import json
import re
from pathlib import Path

from theory_check import claims, notes
from theory_check.cli import main

PROOFS = Path(__file__).resolve().parent.parent / "proofs"


def test_every_claim_has_a_note_and_every_note_names_a_claim() -> None:
    missing, orphans = notes.note_coverage(PROOFS)
    assert missing == [] and orphans == []


def test_every_note_shows_how_to_verify_it() -> None:
    for c in claims.builtin_claims():
        text = (PROOFS / f"{c.id}.md").read_text()
        assert text.startswith(f"# {c.id}"), c.id
        assert f"theory-check verify {c.id}" in text, c.id


def test_generated_block_is_replaced_not_duplicated(tmp_path) -> None:
    note = tmp_path / "C5.md"
    note.write_text("# C5 — hand-written text\n\nkeep me\n")
    r = claims.get("C5").verify(seed=2, n_students=20)
    assert notes.update_notes([r], tmp_path) == [note]
    first = note.read_text()
    assert "keep me" in first and "**PASS**" in first and "max_rel_moment_error" in first
    notes.update_notes([r.to_json()], tmp_path)
    second = note.read_text()
    assert second.count(notes.BEGIN) == 1 and second.count(notes.END) == 1


def test_cli_notes_from_json(tmp_path, capsys) -> None:
    results = tmp_path / "r.json"
    assert main(["verify", "C1", "--json", str(results)]) == 0
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    for c in claims.builtin_claims():
        (proofs / f"{c.id}.md").write_text(f"# {c.id}\n")
    assert main(["notes", "C1", "--from-json", str(results), "--proofs", str(proofs)]) == 0
    assert "**PASS**" in (proofs / "C1.md").read_text()
    assert json.loads(results.read_text())[0]["id"] == "C1"


def test_index_table_lists_every_claim_and_escapes_pipes(tmp_path) -> None:
    index = tmp_path / "README.md"
    index.write_text(f"# index\n\n{notes.INDEX_BEGIN}\nSTALE-ROW\n{notes.INDEX_END}\ntail\n")
    assert notes.update_index(index, figure_dir="figures", note_dir=".", thumbnails=True)
    text = index.read_text()
    assert "STALE-ROW" not in text and text.endswith("tail\n")
    rows = [line for line in text.splitlines() if line.startswith("| C") or line.startswith("| N")]
    assert [r.split("|")[1].strip() for r in rows] == [c.id for c in claims.builtin_claims()]
    for r in rows:  # every row has exactly 6 cells: no stray | inside a statement
        assert len(r.replace("\\|", "").split("|")) == 8


def test_repository_indexes_are_up_to_date() -> None:
    table = notes.claims_table(figure_dir="figures", note_dir=".", thumbnails=True)
    assert table in (PROOFS / "README.md").read_text(), "run `theory-check notes`"


def test_user_claims_need_no_note_and_stay_out_of_notes_and_indexes(tmp_path) -> None:
    from theory_check.claims import Kind, Outcome, Status, _user

    with _user.restored_registry():
        @claims.claim("notes_test.U1", statement="a user claim", kind=Kind.RANK, expected=True)
        def _u1(rng):
            return Outcome(Status.PASS, "by construction", {"rank": 1})

        missing, orphans = notes.note_coverage(PROOFS)
        assert missing == [] and orphans == []  # no note required for notes_test.U1
        assert "notes_test.U1" not in notes.claims_table(figure_dir="f", note_dir=".", thumbnails=False)
        (tmp_path / "C5.md").write_text("# C5\n")
        r = claims.get("notes_test.U1").verify()
        assert notes.update_notes([r], tmp_path) == []  # skipped: no note, no error
        assert sorted(p.name for p in tmp_path.iterdir()) == ["C5.md"]
    missing, _ = notes.note_coverage(tmp_path)
    assert "C1" in missing and "C5" not in missing  # built-ins still need their notes


def test_theory_document_states_every_builtin_claim_and_links_stay_in_the_repository() -> None:
    root = PROOFS.parent
    theory = (PROOFS / "theory.md").read_text()
    for c in claims.builtin_claims():
        assert f"**{c.id} —" in theory, f"{c.id} is not stated in proofs/theory.md"
    for status in ("exact", "certified", "unbounded", "inconclusive", "PASS", "FAIL", "INCONCLUSIVE"):
        assert f"| {status} |" in theory, status
    for kind in claims.RULES:
        assert f"| {kind} |" in theory, kind
    for doc in (root / "README.md", PROOFS / "theory.md"):
        text = doc.read_text()
        assert "../shared" not in text and "THEORY.md" not in text, doc
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
