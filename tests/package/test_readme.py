"""The README's Python examples run as written (in a scratch directory)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_examples():
    assert len(_blocks()) >= 5


@pytest.mark.slow
def test_the_readme_examples_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}  # a `if __name__ == "__main__":` block (a LocalCluster) is not run
    for block in _blocks():
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README is ours
    assert namespace["radius"].certificate.certified
    assert (tmp_path / "cert.json").is_file()
