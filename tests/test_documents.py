"""The project's documents are its own: the README links every page of docs/, lists exactly
the event types the registry reads, and no file cites a document a clone does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Written in pieces, so that this file does not cite them itself.
FOREIGN_NAMES = ("DESIGN", "STRIPE", "STYLE")
FOREIGN = re.compile(r"\b(" + "|".join(FOREIGN_NAMES) + r")\.md\b|\.\./" + "shared")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    return [ROOT / name for name in listed.split("\0") if name]


def foreign_citations(paths: list[Path], root: Path = ROOT) -> list[str]:
    found = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary files; a file deleted in the work tree
        for number, line in enumerate(text.splitlines(), 1):
            if FOREIGN.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_file_cites_a_document_outside_the_repository() -> None:
    assert foreign_citations(tracked_files()) == []


def test_a_citation_of_an_outside_document_is_found(tmp_path: Path) -> None:
    note = tmp_path / "note.py"
    cited = f"See {FOREIGN_NAMES[0]}.md, {FOREIGN_NAMES[2]}.md and ../{'shared'}/x."
    note.write_text(f'"""{cited}"""\n# docs/stripe.md and docs/operations.md are ours\n')
    assert foreign_citations([note], tmp_path) == [f'note.py:1: """{cited}"""']
