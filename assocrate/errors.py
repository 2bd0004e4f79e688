"""The errors assocrate raises for bad input.

Every user error is an :class:`InvalidInput` (a :class:`ValueError`) or, for an argument of the
wrong type, an :class:`InvalidType` (both an :class:`InvalidInput` and a :class:`TypeError`), with a
message that names the argument, the value received and what is allowed. The command line maps
exactly these to one ``error: ...`` line and exit status 2; any other exception is a bug and is
shown as one.

Examples
--------
>>> import assocrate as aa
>>> try:
...     aa.Sigmoid(rho=-1.0, threshold=0.2)
... except aa.InvalidInput as error:
...     print(error)
`rho` must be > 0; got -1.0
"""

from __future__ import annotations

__all__ = ["FileFormatError", "InvalidInput", "InvalidType"]


class InvalidInput(ValueError):
    """An argument, option or file that assocrate refuses; the message says which and why."""


class InvalidType(InvalidInput, TypeError):
    """An argument of the wrong type (also a :class:`TypeError`)."""


class FileFormatError(InvalidInput):
    """A file that is not a valid assocrate file of the expected kind (or was damaged or edited)."""
