"""Certificates as JSON text and files: write, read, checksum and seal (theory.md §5).

Format ``"assocrate.certificate"``. Version 2 (written) adds the ``"status"`` field
(:class:`~assocrate.certify.status.CertificateStatus`, by its code); version 1 files (no status)
are still read, their status derived from the two verdicts. Floats are written as JSON numbers
(Python's shortest round-trip repr, so they read back bit for bit) and exact rationals as
``"p/q"`` strings, so a saved certificate can be re-checked from scratch later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import uuid
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..certify.record import Certificate, ConstraintResidual, ExactValue, SolverInfo
from ..certify.schema import validate_schema
from ..certify.status import CertificateStatus
from ..errors import InvalidInput, InvalidType
from ..io import atomic_write_text

__all__ = [
    "CHECKSUM",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "checksum",
    "from_json",
    "load_certificate",
    "save_certificate",
    "seal",
    "to_json",
]

FORMAT_NAME = "assocrate.certificate"
#: The version written.
FORMAT_VERSION = 2
#: The versions read: 1 (before statuses) and 2.
READABLE_VERSIONS = (1, 2)

_RATIONAL = re.compile(r"^(-?\d+)(?:/(\d+))?$")
_TOP_LEVEL_KEYS = {
    "format",
    "version",
    "assocrate_version",
    "claim",
    "kind",
    "status",
    "verified_float",
    "verified_exact",
    "parameters",
    "solver",
    "residuals",
    "data",
    "exact_data",
}


def _check_certificate(certificate: object) -> None:
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")


def _rational_string(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def to_json(certificate: Certificate, *, indent: int | None = 1) -> str:
    """Serialise a certificate to JSON text.

    Float data are written as JSON numbers (Python's shortest round-trip repr, so they read back
    bit for bit); exact rationals as ``"p/q"`` strings, matrices as nested lists of them.

    Parameters
    ----------
    certificate : Certificate
        The certificate to write.
    indent : int or None, optional
        JSON indentation (default 1); None for the most compact text.

    Returns
    -------
    str
        A JSON object with ``"format": "assocrate.certificate"`` and ``"version": 2``.

    Examples
    --------
    >>> from fractions import Fraction
    >>> cert = Certificate("x", "radius", {"delta": 0.25}, exact_data={"delta": Fraction(1, 4)})
    >>> from_json(to_json(cert)) == cert
    True
    """
    _check_certificate(certificate)
    if indent is not None and (
        isinstance(indent, bool) or not isinstance(indent, int) or indent < 0
    ):
        raise InvalidInput(f"`indent` must be None or an int >= 0; got {indent!r}")
    from .._version import __version__

    # With indentation, shapes and vectors go on one line and matrices one row per line: values
    # are swapped for placeholders, dumped, then substituted.
    blocks: list[tuple[bool, Any]] = []  # (one row per line?, value)
    token = uuid.uuid4().hex  # no user string can collide with the placeholders

    def placeholder(value: Any, *, by_rows: bool) -> Any:
        if indent is None:
            return value
        blocks.append((by_rows and len(value) > 0, value))
        return f"@@{token}:{len(blocks) - 1}@@"

    def shaped(shape: tuple[int, ...], values: list[Any]) -> dict[str, Any]:
        return {
            "shape": placeholder(list(shape), by_rows=False),
            "values": placeholder(values, by_rows=len(shape) >= 2),
        }

    data: dict[str, Any] = {}
    for key, value in certificate.data.items():
        if isinstance(value, np.ndarray):
            data[key] = shaped(value.shape, value.tolist())
        else:
            data[key] = value
    exact: dict[str, Any] | None = None
    if certificate.exact_data is not None:
        exact = {}
        for key, value in certificate.exact_data.items():
            if isinstance(value, Fraction):
                exact[key] = _rational_string(value)
            else:
                rows = [[_rational_string(f) for f in row] for row in value]
                exact[key] = shaped((len(value), len(value[0])), rows)
    solver = certificate.solver
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "assocrate_version": __version__,
        "claim": certificate.claim,
        "kind": certificate.kind,
        "status": certificate.status.code,
        "verified_float": certificate.verified_float,
        "verified_exact": certificate.verified_exact,
        "parameters": dict(certificate.parameters),
        "solver": None if solver is None else {"name": solver.name, "version": solver.version,
                                               "status": solver.status, "solve_time": solver.solve_time},
        "residuals": [{"name": row.name, "min_eigenvalue": row.min_eigenvalue, "strict": row.strict}
                      for row in certificate.residuals],
        "data": data,
        "exact_data": exact,
    }
    text = json.dumps(document, indent=indent, allow_nan=False)
    for index, (by_rows, value) in enumerate(blocks):
        marker = json.dumps(f"@@{token}:{index}@@")
        start = text.index(marker)
        if by_rows:
            line_start = text.rindex("\n", 0, start) + 1
            margin = len(text[line_start:start]) - len(text[line_start:start].lstrip())
            rows = ",\n".join(
                " " * (margin + indent) + json.dumps(row, allow_nan=False) for row in value
            )
            replacement = "[\n" + rows + "\n" + " " * margin + "]"
        else:
            replacement = json.dumps(value, allow_nan=False)
        text = text[:start] + replacement + text[start + len(marker) :]
    return text


def _reject_constant(token: str) -> None:
    raise InvalidInput(f"certificate JSON must not contain {token}")


def _field(
    document: Mapping[str, Any], key: str, types: type | tuple[type, ...], where: str
) -> Any:
    if key not in document:
        raise InvalidInput(f"certificate JSON is missing the field {where}{key!r}")
    value = document[key]
    if not isinstance(value, types):
        raise InvalidInput(
            f"certificate JSON field {where}{key!r} has the wrong type: {type(value).__name__}"
        )
    return value


def _parse_rational(text: object, where: str) -> Fraction:
    if not isinstance(text, str):
        raise InvalidInput(f"certificate JSON field {where} must be a 'p/q' string; got {text!r}")
    match = _RATIONAL.match(text.strip())
    if match is None:
        raise InvalidInput(f"certificate JSON field {where} must be a 'p/q' string; got {text!r}")
    numerator, denominator = int(match.group(1)), int(match.group(2) or 1)
    if denominator == 0:
        raise InvalidInput(f"certificate JSON field {where} has a zero denominator: {text!r}")
    return Fraction(numerator, denominator)


def _parse_shaped(entry: object, where: str) -> tuple[list[int], Any]:
    if not isinstance(entry, dict) or set(entry) != {"shape", "values"}:
        raise InvalidInput(
            f"certificate JSON field {where} must be a number or an object with 'shape' and "
            "'values'"
        )
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise InvalidInput(
            f"certificate JSON field {where}.shape must be a list of sizes; got {shape!r}"
        )
    return shape, entry["values"]


def _parse_float_array(entry: object, where: str) -> np.ndarray | float:
    if isinstance(entry, (int, float)) and not isinstance(entry, bool):
        return float(entry)
    shape, values = _parse_shaped(entry, where)
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InvalidInput(
            f"certificate JSON field {where}.values is not a numeric array: {err}"
        ) from err
    if array.size == 0 and math.prod(shape) == 0:
        array = array.reshape(shape)
    if list(array.shape) != shape:
        raise InvalidInput(
            f"certificate JSON field {where}.values has shape {list(array.shape)}, expected {shape}"
        )
    return array


def _parse_exact(entry: object, where: str) -> ExactValue:
    if isinstance(entry, str):
        return _parse_rational(entry, where)
    shape, values = _parse_shaped(entry, where)
    if len(shape) != 2 or not isinstance(values, list) or len(values) != shape[0]:
        raise InvalidInput(f"certificate JSON field {where} must be a 2-D matrix of shape {shape}")
    rows = []
    for i, row in enumerate(values):
        if not isinstance(row, list) or len(row) != shape[1]:
            raise InvalidInput(f"certificate JSON field {where} row {i} must have {shape[1]} entries")
        rows.append(tuple(_parse_rational(x, f"{where}[{i}][{j}]") for j, x in enumerate(row)))
    return tuple(rows)


def from_json(text: str) -> Certificate:
    """Read a certificate from the JSON text written by :func:`to_json`.

    Parameters
    ----------
    text : str
        JSON text of format ``"assocrate.certificate"``, version 1 or 2.

    Returns
    -------
    Certificate
        The certificate, exactly as written (floats bit for bit, rationals exactly). The verdicts
        and status are read as stored (a version 1 text has no status: it is derived from the
        verdicts): re-verify before trusting a certificate from a file.

    Raises
    ------
    TypeError
        If `text` is not a string.
    ValueError
        If the text is not JSON, not an assocrate certificate, of another format version, or has
        missing, unknown or malformed fields.

    Examples
    --------
    >>> from_json('{"format": "other", "version": 1}')
    Traceback (most recent call last):
    ...
    assocrate.errors.InvalidInput: not an assocrate certificate: format is 'other', expected 'assocrate.certificate'
    """
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    if not isinstance(text, str):
        raise InvalidType(f"`text` must be a string; got {type(text).__name__}")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"not valid certificate JSON: {err}") from err
    if not isinstance(document, dict):
        raise InvalidInput(
            "not an assocrate certificate: expected a JSON object, got "
            f"{type(document).__name__}"
        )
    if document.get("format") != FORMAT_NAME:
        raise InvalidInput(
            f"not an assocrate certificate: format is {document.get('format')!r}, expected "
            f"{FORMAT_NAME!r}"
        )
    version = document.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise InvalidInput(
            f"unsupported certificate format version {version!r}; this assocrate reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))} (a newer assocrate wrote it?)"
        )
    validate_schema(document)
    allowed = _TOP_LEVEL_KEYS - {"status"} if version == 1 else _TOP_LEVEL_KEYS
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise InvalidInput(f"certificate JSON has unknown fields {unknown}")

    claim = _field(document, "claim", str, "")
    kind = _field(document, "kind", str, "")
    verified_float = _field(document, "verified_float", bool, "")
    verified_exact = _field(document, "verified_exact", bool, "")
    parameters = _field(document, "parameters", dict, "")
    solver_entry = _field(document, "solver", (dict, type(None)), "")
    residual_entries = _field(document, "residuals", list, "")
    data_entries = _field(document, "data", dict, "")
    exact_entries = _field(document, "exact_data", (dict, type(None)), "")
    status_code = None if version == 1 else _field(document, "status", str, "")

    try:
        solver = None
        if solver_entry is not None:
            unknown = sorted(set(solver_entry) - {"name", "version", "status", "solve_time"})
            if unknown:
                raise InvalidInput(f"certificate JSON field 'solver' has unknown fields {unknown}")
            solver = SolverInfo(
                _field(solver_entry, "name", str, "solver."),
                version=solver_entry.get("version"),
                status=solver_entry.get("status"),
                solve_time=solver_entry.get("solve_time"),
            )
        residuals = []
        for index, row in enumerate(residual_entries):
            if not isinstance(row, dict):
                raise InvalidInput(f"certificate JSON field residuals[{index}] must be an object")
            where = f"residuals[{index}]."
            residuals.append(
                ConstraintResidual(
                    _field(row, "name", str, where),
                    _field(row, "min_eigenvalue", (int, float), where),
                    strict=_field(row, "strict", bool, where),
                )
            )
        data = {
            key: _parse_float_array(value, f"data[{key!r}]") for key, value in data_entries.items()
        }
        exact_data = None
        if exact_entries is not None:
            exact_data = {
                key: _parse_exact(value, f"exact_data[{key!r}]")
                for key, value in exact_entries.items()
            }
        return Certificate(
            claim,
            kind,
            data,
            solver=solver,
            residuals=residuals,
            verified_float=verified_float,
            verified_exact=verified_exact,
            parameters=parameters,
            exact_data=exact_data,
            status=None if status_code is None else CertificateStatus.from_code(status_code),
        )
    except TypeError as err:
        raise InvalidInput(f"invalid certificate JSON: {err}") from err
    except ValueError as err:
        message = str(err)
        if message.startswith("certificate JSON"):
            raise
        raise InvalidInput(f"invalid certificate JSON: {message}") from err


# ----------------------------------------------------------------------------------------------
# Integrity
# ----------------------------------------------------------------------------------------------

#: Name of the parameter that holds a certificate's checksum.
CHECKSUM = "checksum"


def checksum(certificate: Certificate) -> str:
    """SHA-256 of a certificate's content (everything but the checksum itself and the status).

    Computed from the canonical JSON form (sorted keys, no indentation) in the version 1 layout,
    so it survives a save and load unchanged, changes with any edited entry, and the checksums of
    version 1 files stay valid. The status is left out: no check depends on it, and a status
    that contradicts the verdicts is refused when the certificate is built.

    Examples
    --------
    >>> cert = Certificate("x", "radius", {"delta": 0.25})
    >>> checksum(cert) == checksum(from_json(to_json(cert)))
    True
    """
    _check_certificate(certificate)
    document = json.loads(to_json(certificate, indent=None))
    document.pop("assocrate_version", None)
    document.pop("status", None)
    document["version"] = 1
    document["parameters"].pop(CHECKSUM, None)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(certificate: Certificate) -> Certificate:
    """A copy of `certificate` with its :func:`checksum` recorded in ``parameters["checksum"]``.

    A hand-edited certificate file then fails :func:`~assocrate.certify.verification.verify` even
    where the edit touches an entry no exact check depends on.
    """
    _check_certificate(certificate)
    unsealed = dataclasses.replace(
        certificate, parameters={k: v for k, v in certificate.parameters.items() if k != CHECKSUM}
    )
    return dataclasses.replace(unsealed, parameters={**unsealed.parameters, CHECKSUM: checksum(unsealed)})


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def _check_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidType(f"`path` must be a str or os.PathLike; got {type(path).__name__}")
    return Path(path)


def save_certificate(path: str | os.PathLike[str], certificate: Certificate) -> Path:
    """Save a certificate as JSON, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file (conventionally ``*.json``); its directory must exist.
    certificate : Certificate
        The certificate to save.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If `path` or `certificate` has the wrong type.
    OSError
        If the file cannot be written; the message names the file.

    Examples
    --------
    >>> import tempfile, os
    >>> cert = Certificate("x", "radius", {"delta": 0.25})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = save_certificate(os.path.join(folder, "c.json"), cert)
    ...     load_certificate(target) == cert
    True
    """
    target = _check_path(path)
    return atomic_write_text(target, to_json(certificate))


def load_certificate(path: str | os.PathLike[str]) -> Certificate:
    """Load a certificate saved by :func:`save_certificate`.

    Parameters
    ----------
    path : str or os.PathLike
        A certificate JSON file.

    Returns
    -------
    Certificate
        The stored certificate; its verdicts are as stored, so re-verify before trusting it.

    Raises
    ------
    OSError
        If the file cannot be read.
    ValueError
        If the file is not a valid certificate; the message names the file.
    """
    source = _check_path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"{str(source)!r} is not a certificate: not UTF-8 text ({err})") from err
    try:
        return from_json(text)
    except ValueError as err:
        raise InvalidInput(f"cannot load the certificate {str(source)!r}: {err}") from err
