"""Every public name of ``assocrate.__all__`` has a page in the API reference (docs/api.rst).

The reference is an autosummary over the names listed in docs/api.rst; this compares that list
with ``assocrate.__all__`` without building the docs (Sphinx need not be installed). A new public
name goes into the matching section of docs/api.rst.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import assocrate as aa

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: An autosummary entry: three spaces, a Python name, nothing else on the line.
ENTRY = re.compile(r"^   ([A-Za-z_][A-Za-z0-9_]*)$", flags=re.M)


def _sections() -> list[tuple[str, list[str]]]:
    """(current module, names) of every ``.. autosummary::`` block in api.rst."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    module, blocks = None, []
    for chunk in re.split(r"^(?=\.\. )", text, flags=re.M):
        if chunk.startswith(".. currentmodule::"):
            module = chunk.split("::", 1)[1].split()[0]
        elif chunk.startswith(".. autosummary::"):
            blocks.append((module, ENTRY.findall(chunk)))
    return blocks


def _top_level_names() -> list[str]:
    return [name for module, names in _sections() if module == "assocrate" for name in names]


def test_every_public_name_has_an_api_page():
    missing = sorted(set(aa.__all__) - {"__version__"} - set(_top_level_names()))
    assert missing == [], f"add these to docs/api.rst: {missing}"


def test_the_api_page_lists_only_public_names_once():
    listed = _top_level_names()
    assert sorted(set(listed) - set(aa.__all__)) == []
    assert len(listed) == len(set(listed))


def test_the_version_is_named_on_the_api_page():
    assert "assocrate.__version__" in (DOCS / "api.rst").read_text(encoding="utf-8")


def test_the_figure_functions_are_listed():
    from assocrate import plots

    figures = [names for module, names in _sections() if module == "assocrate.plots"]
    assert figures and sorted(figures[0]) == sorted(plots.__all__)


def test_no_page_or_example_cites_the_old_design_file():
    root = DOCS.parent
    pages = [*DOCS.glob("*.md"), *DOCS.glob("*.rst"), *(root / "examples").glob("*.py"), *(root / "examples").glob("*.txt")]
    assert len(pages) > 5
    assert [p.name for p in pages if "DESIGN" + ".md" in p.read_text(encoding="utf-8")] == []


def test_every_theory_section_has_a_label_for_cross_references():
    theory = (DOCS / "theory.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (\d+[a-z]?)\. ", theory, flags=re.M)
    unlabelled = [n for n in sections if f"(theory-{n})=\n## {n}. " not in theory]
    assert sections and unlabelled == [], f"put a line '(theory-N)=' above each of these sections: {unlabelled}"


def _page_blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # random patterns: approximate equilibria, on purpose
@pytest.mark.parametrize("page", ["index.md", "getting_started.md", "user_guide.md", "trust.md"])
def test_the_python_examples_of_the_pages_run_in_order(page, tmp_path, monkeypatch):
    """The pages' code blocks are not run by the docs build; run them here, in a scratch directory."""
    monkeypatch.chdir(tmp_path)
    blocks = _page_blocks(page)
    assert blocks
    namespace = {"__name__": "docs"}
    for block in blocks:
        exec(compile(block, str(DOCS / page), "exec"), namespace)  # noqa: S102 - the pages are ours
