"""What the command-line tests share: run ``assocrate`` in-process and capture its output."""

from __future__ import annotations

import pytest

from assocrate.cli import main


@pytest.fixture
def cli(capsys):
    """``cli(*args)`` runs ``assocrate ARGS`` through :func:`assocrate.cli.main`; returns (code, stdout, stderr)."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
