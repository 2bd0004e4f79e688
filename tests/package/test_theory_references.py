"""Every "theory.md §n" citation in the package, README and proofs names a section of docs/theory.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THEORY = ROOT / "docs" / "theory.md"
CITATION = re.compile(r"theory\.md §(\d+[a-z]?)")


def _sections() -> set[str]:
    return set(re.findall(r"^## (\d+[a-z]?)\. ", THEORY.read_text(encoding="utf-8"), flags=re.M))


def _sources() -> list[Path]:
    return [
        *sorted((ROOT / "assocrate").rglob("*.py")),
        *sorted((ROOT / "proofs").rglob("*.py")),
        *sorted((ROOT / "benchmarks").rglob("*.py")),
        ROOT / "README.md",
    ]


def test_theory_has_the_numbered_sections():
    assert {"1", "2", "3", "4", "5", "6", "6b", "7", "8"} <= _sections()


def test_every_citation_resolves():
    sections = _sections()
    cited = {(path.relative_to(ROOT).as_posix(), number) for path in _sources()
             for number in CITATION.findall(path.read_text(encoding="utf-8"))}
    assert len(cited) > 20  # the package does cite the theory
    assert sorted(c for c in cited if c[1] not in sections) == []


def test_no_citation_of_the_old_design_file():
    stale = [path.relative_to(ROOT).as_posix() for path in _sources() if "DESIGN.md" in path.read_text(encoding="utf-8")]
    assert stale == []
