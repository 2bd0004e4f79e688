"""The ``assocrate`` command: a thin shell over the API.

Each command parses its options, loads its input, calls one library function, prints its
``summary()`` (or one JSON object with ``--json``) and maps the outcome to the exit code. Invalid
input prints one line ``error: ...`` naming the option and value, and exits with status 2.

Modules: :mod:`~assocrate.cli.app` (the app, :func:`main` and the demo command),
:mod:`~assocrate.cli.options` (what the commands share), one module per topic —
:mod:`~assocrate.cli.design` (design, check, dale), :mod:`~assocrate.cli.certify` (certify,
verify), :mod:`~assocrate.cli.retrieve` (retrieve), :mod:`~assocrate.cli.sweeps` (phase, capacity)
— and the demo's engine, :mod:`~assocrate.cli.demo` with its steps in
:mod:`~assocrate.cli.demo_steps`.
"""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
