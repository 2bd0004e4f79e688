"""Fixtures of the spiking tests; brian2 (optional) is imported here once with pyparsing's warnings silenced.

Brian2 2.9.0 uses pyparsing APIs that pyparsing >= 3.3 deprecates; pytest runs with
filterwarnings=error, so the first import goes through assocrate.spiking's import_brian2 (which
ignores only that warning category). The test modules then call pytest.importorskip("brian2").
The reference networks (``equal_overlap_network``, ``lif_network``) are the shared fixtures of
tests/conftest.py, and so is ``cli`` (run ``assocrate ARGS`` in-process).
"""

from __future__ import annotations

from assocrate.spiking._brian import import_brian2

try:
    import_brian2()
except ImportError:
    pass
