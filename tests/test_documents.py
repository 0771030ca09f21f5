"""The project's documents are its own: the README links every page of docs/, lists exactly
the event types the registry reads, and no file cites a document a clone does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from webhooks.registry import KNOWN_EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# Written in pieces, so that this file does not cite them itself.
FOREIGN_NAMES = ("DESIGN", "STRIPE", "STYLE")
FOREIGN = re.compile(r"\b(" + "|".join(FOREIGN_NAMES) + r")\.md\b|\.\./" + "shared")
# The README's paragraph for whoever sets up the Stripe webhook endpoint.
EVENTS_PARAGRAPH = re.compile(r"Events to send:(.*?)Others are stored", re.S)


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


def readme_event_types() -> set[str]:
    paragraph = EVENTS_PARAGRAPH.search(README.read_text())
    assert paragraph is not None, "the README lists the events to send"
    return set(re.findall(r"`([a-z_.]+)`", paragraph.group(1)))


def test_the_readme_lists_exactly_the_events_the_registry_reads() -> None:
    assert readme_event_types() == set(KNOWN_EVENT_TYPES)


def test_the_readme_links_every_page_of_docs() -> None:
    readme = README.read_text()
    pages = sorted(path.name for path in (ROOT / "docs").glob("*.md"))
    assert {"architecture.md", "operations.md", "stripe.md"} <= set(pages)
    assert [page for page in pages if f"(docs/{page})" not in readme] == []
