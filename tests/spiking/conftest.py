"""Fixtures of the spiking tests; brian2 (optional) is imported by the ``brian2`` fixture, when a test runs.

Brian2 2.9.0 uses pyparsing APIs that pyparsing >= 3.3 deprecates; pytest runs with
filterwarnings=error, so the import goes through assocrate.spiking's import_brian2 (which ignores
only that warning category). It must not happen while pytest collects: importing brian2 replaces
pytest's doctest collector (``brian2.tests`` patches ``_pytest.doctest.DoctestModule``) with one that
fails on a package's ``__init__.py``. Tests that need Brian2 take the ``brian2`` fixture, which
skips them when it is not installed.
The reference networks (``equal_overlap_network``, ``lif_network``) are the shared fixtures of
tests/conftest.py, and so is ``cli`` (run ``assocrate ARGS`` in-process).
"""

from __future__ import annotations

import pytest

from assocrate.spiking._brian import import_brian2, is_brian2_available


@pytest.fixture(scope="session")
def brian2():
    """The brian2 module, imported quietly at run time; the test is skipped without it."""
    if not is_brian2_available():
        pytest.skip("brian2 is not installed (pip install -e '.[spiking]')")
    return import_brian2()
