"""assocrate._progress: ``progress=True`` on long calls; a rich bar only when stderr is a terminal."""

from __future__ import annotations

import io

import pytest

from assocrate._progress import as_progress, rich_progress
from assocrate.errors import InvalidType
from assocrate.sweeps import phase_diagram


def test_progress_arguments_are_normalised():
    assert as_progress(None, "x") is None and as_progress(False, "x") is None
    calls = []
    assert as_progress(lambda d, t: calls.append((d, t)), "x") is not None
    assert callable(as_progress(True, "x"))
    with pytest.raises(InvalidType, match="`progress` must be a callable"):
        as_progress("yes", "x")


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    bar = rich_progress("cells")
    bar(1, 2)
    bar(2, 2)
    assert capsys.readouterr() == ("", "")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_stops_itself(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    bar = rich_progress("cells")
    bar(1, 3)
    bar(3, 3)  # done: the bar stops (no live display left running)
    assert "cells" in terminal.getvalue()


def test_a_long_call_takes_progress_true():
    dataset = phase_diagram(rho=[1.0, 4.8], threshold=[0.2], n_units=200, progress=True)
    assert dict(dataset.sizes) == {"rho": 2, "threshold": 1}
