"""What the command-line tests share: run ``assocrate`` in-process and capture its output."""

from __future__ import annotations

import pytest

from assocrate.cli import main


def pytest_configure(config: pytest.Config) -> None:
    # Until pyproject.toml registers it ([tool.pytest.ini_options] markers); --strict-markers refuses unknown ones.
    if not any(line.split(":")[0].strip() == "slow" for line in config.getini("markers")):
        config.addinivalue_line("markers", "slow: runs the full demo (tens of seconds); deselect with -m 'not slow'")


@pytest.fixture
def cli(capsys):
    """``cli(*args)`` runs ``assocrate ARGS`` through :func:`assocrate.cli.main`; returns (code, stdout, stderr)."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
