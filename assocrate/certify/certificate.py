"""The :class:`Certificate` record, its JSON form, and floating-point definiteness checks.

DESIGN.md §5 ("Verification"): a certificate records the claim, the certificate data, the solver
that produced it, a residual table with the minimum eigenvalue of each LMI block, and two verdicts:
``verified_float`` (shifted Cholesky) and ``verified_exact`` (exact rational arithmetic). Only
``verified_exact`` earns the word "certified". Certificates are saved as JSON with exact rationals
written as ``"p/q"`` strings, so a saved certificate can be re-checked from scratch later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Union

import flint
import numpy as np
import scipy.linalg

from ..certify._rational import fraction_vector, to_fraction
from ..certify.exact import to_rational
from ..errors import InvalidInput, InvalidType
from ..io import atomic_write_text

__all__ = [
    "CERTIFICATE_KINDS",
    "Certificate",
    "ConstraintResidual",
    "SolverInfo",
    "checksum",
    "from_json",
    "is_definite_float",
    "load_certificate",
    "min_eigenvalue",
    "save_certificate",
    "seal",
    "to_json",
    "verify",
]

#: The kinds of statement a certificate can make (DESIGN.md §4–§5).
#:
#: - ``"lyapunov"``: local exponential stability of an equilibrium (``J^T P + P J < 0``, ``P > 0``);
#: - ``"lds"``: Lyapunov-diagonal stability, unique globally stable equilibrium;
#: - ``"contraction"``: the incremental (contraction) LMI;
#: - ``"radius"``: a certified retrieval radius (Metzler majorant on a box);
#: - ``"sector"``: the sector-LMI ellipsoid (an l2 statement, never the headline radius);
#: - ``"input"``: input-driven global retrieval (absorbing box plus contraction / Metzler bound).
CERTIFICATE_KINDS: tuple[str, ...] = ("lyapunov", "lds", "contraction", "radius", "sector", "input")

FORMAT_NAME = "assocrate.certificate"
FORMAT_VERSION = 1

ExactValue = Union[tuple[tuple[Fraction, ...], ...], Fraction]


# ----------------------------------------------------------------------------------------------
# Floating-point definiteness
# ----------------------------------------------------------------------------------------------


def _check_float_square(name: str, M: object) -> np.ndarray:
    """Return `M` as a finite, non-empty, square float64 array or raise naming `name`."""
    try:
        array = np.asarray(M)
    except (TypeError, ValueError) as err:
        raise InvalidType(f"`{name}` must be a real square matrix; got {M!r} ({err})") from err
    if array.dtype.kind not in "iuf":
        raise InvalidType(f"`{name}` must be a real numeric matrix; got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise InvalidInput(f"`{name}` must be square; got shape {array.shape}")
    if array.size == 0:
        raise InvalidInput(f"`{name}` must be non-empty; got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array


def min_eigenvalue(M: object) -> float:
    """Smallest eigenvalue of the symmetric part ``(M + M^T) / 2``, in floating point.

    Parameters
    ----------
    M : array_like, shape (n, n)
        A finite real square matrix.

    Returns
    -------
    float
        ``lambda_min((M + M^T) / 2)``. Accurate to about ``n * eps * ||M||``: use
        :func:`assocrate.certify.exact.is_positive_definite_exact` to decide signs near zero.

    Raises
    ------
    TypeError
        If `M` is not numeric.
    ValueError
        If `M` is not square, is empty or holds NaN / inf.

    Examples
    --------
    >>> min_eigenvalue([[2.0, 0.0], [0.0, 3.0]])
    2.0
    >>> round(min_eigenvalue([[2.0, 1.0], [1.0, 2.0]]), 12)
    1.0
    """
    array = _check_float_square("M", M)
    symmetric = (array + array.T) / 2
    return float(scipy.linalg.eigvalsh(symmetric, subset_by_index=[0, 0], check_finite=False)[0])


def is_definite_float(M: object, *, sign: int = -1, margin: float = 0.0) -> bool:
    """Floating-point definiteness by shifted Cholesky: is ``sign * M - margin * I > 0``?

    Parameters
    ----------
    M : array_like, shape (n, n)
        A finite real square matrix; only its symmetric part ``(M + M^T) / 2`` is used.
    sign : {-1, 1}, optional
        ``-1`` (default) asks whether M is negative definite with margin (``M < -margin I``, the
        form of an LMI ``... < 0``); ``1`` asks whether ``M > margin I``.
    margin : float, optional
        Required distance of the spectrum from zero, ``>= 0``. Default 0.

    Returns
    -------
    bool
        True iff the Cholesky factorisation of ``sign * (M + M^T) / 2 - margin * I`` succeeds.
        This is a floating-point verdict (``verified_float``), not a proof: near the boundary use
        the exact check.

    Raises
    ------
    TypeError
        If `M` is not numeric.
    ValueError
        If `M` is not square, is empty or holds NaN / inf, if `sign` is not -1 or 1, or if
        `margin` is negative or not finite.

    Examples
    --------
    >>> is_definite_float([[-2.0, 0.5], [0.5, -1.0]])
    True
    >>> is_definite_float([[2.0, 0.0], [0.0, 1.0]], sign=1, margin=1.5)
    False
    """
    if isinstance(sign, bool) or sign not in (-1, 1):
        raise InvalidInput(f"`sign` must be -1 or 1; got {sign!r}")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise InvalidType(f"`margin` must be a real number; got {margin!r}")
    if not (math.isfinite(margin) and margin >= 0):
        raise InvalidInput(f"`margin` must be finite and >= 0; got {margin!r}")
    array = _check_float_square("M", M)
    shifted = sign * (array + array.T) / 2 - float(margin) * np.eye(array.shape[0])
    try:
        scipy.linalg.cholesky(shifted, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return False
    return True


# ----------------------------------------------------------------------------------------------
# The record
# ----------------------------------------------------------------------------------------------


def _check_name(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"`{name}` must be a string; got {value!r} of type {type(value).__name__}")
    if not value.strip():
        raise InvalidInput(f"`{name}` must be a non-empty string; got {value!r}")
    return value


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidType(f"`{name}` must be a bool; got {value!r} of type {type(value).__name__}")
    return bool(value)


def _check_finite_real(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidType(
            f"`{name}` must be a real number; got {value!r} of type {type(value).__name__}"
        )
    result = float(value)
    if not math.isfinite(result):
        raise InvalidInput(f"`{name}` must be finite; got {result!r}")
    return result


@dataclass(frozen=True)
class SolverInfo:
    """The solver that produced a certificate (diagnostics, kept apart from the answer).

    Parameters
    ----------
    name : str
        Solver name as passed to cvxpy, e.g. ``"CLARABEL"``.
    version : str, optional
        Solver version string.
    status : str, optional
        The solver's status, e.g. ``"optimal"`` or ``"optimal_inaccurate"`` (never folded).
    solve_time : float, optional
        Wall-clock solve time in seconds, ``>= 0``.

    Examples
    --------
    >>> SolverInfo("CLARABEL", version="0.9.0", status="optimal", solve_time=0.12)
    SolverInfo(name='CLARABEL', version='0.9.0', status='optimal', solve_time=0.12)
    """

    name: str
    version: str | None = None
    status: str | None = None
    solve_time: float | None = None

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        for label in ("version", "status"):
            value = getattr(self, label)
            if value is not None and not isinstance(value, str):
                raise InvalidType(f"`{label}` must be a string or None; got {value!r}")
        if self.solve_time is not None:
            seconds = _check_finite_real("solve_time", self.solve_time)
            if seconds < 0:
                raise InvalidInput(f"`solve_time` must be >= 0 seconds; got {seconds!r}")
            object.__setattr__(self, "solve_time", seconds)


@dataclass(frozen=True)
class ConstraintResidual:
    """One row of a certificate's residual table.

    Sign convention: every constraint is written as ``G > 0`` (``strict=True``) or ``G >= 0``
    (``strict=False``) and `min_eigenvalue` is ``lambda_min(G)``, so a positive value is the margin
    by which the constraint holds and a negative one the amount by which it fails. An LMI
    ``J^T P + P J < 0`` is recorded with ``G = -(J^T P + P J)``.

    Parameters
    ----------
    name : str
        The constraint in words or symbols, e.g. ``"P > 0"`` or ``"-(J^T P + P J) > 0"``.
    min_eigenvalue : float
        ``lambda_min(G)``, finite.
    strict : bool, optional
        Whether the constraint is strict (default True).

    Examples
    --------
    >>> row = ConstraintResidual("P > 0", 0.25)
    >>> row.satisfied
    True
    """

    name: str
    min_eigenvalue: float
    strict: bool = True

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        object.__setattr__(
            self, "min_eigenvalue", _check_finite_real("min_eigenvalue", self.min_eigenvalue)
        )
        object.__setattr__(self, "strict", _check_bool("strict", self.strict))

    @property
    def satisfied(self) -> bool:
        """Whether the floating-point residual satisfies the constraint (``> 0`` or ``>= 0``)."""
        return self.min_eigenvalue > 0 if self.strict else self.min_eigenvalue >= 0


def _freeze_data(data: object) -> Mapping[str, np.ndarray | float]:
    if not isinstance(data, Mapping):
        raise InvalidType(
            f"`data` must be a mapping name -> array or float; got {type(data).__name__}"
        )
    frozen: dict[str, np.ndarray | float] = {}
    for key, value in data.items():
        _check_name("data key", key)
        label = f"data[{key!r}]"
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            frozen[key] = _check_finite_real(label, value)
            continue
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise InvalidType(f"`{label}` must be a real array or float; got {value!r}") from err
        if array.dtype.kind not in "iuf":
            raise InvalidType(
                f"`{label}` must be a real numeric array or float; got dtype {array.dtype}"
            )
        if array.ndim == 0:
            frozen[key] = _check_finite_real(label, array.item())
            continue
        array = np.array(array, dtype=np.float64)  # a private copy
        if not np.all(np.isfinite(array)):
            raise InvalidInput(f"`{label}` must be finite; found NaN or inf")
        array.flags.writeable = False
        frozen[key] = array
    return MappingProxyType(frozen)


def _freeze_exact_data(exact_data: object) -> Mapping[str, ExactValue] | None:
    if exact_data is None:
        return None
    if not isinstance(exact_data, Mapping):
        raise InvalidType(
            "`exact_data` must be None or a mapping name -> rational matrix; got "
            f"{type(exact_data).__name__}"
        )
    frozen: dict[str, ExactValue] = {}
    for key, value in exact_data.items():
        _check_name("exact_data key", key)
        label = f"exact_data[{key!r}]"
        is_scalar = isinstance(value, (numbers.Number, flint.fmpq, flint.fmpz)) or (
            isinstance(value, np.ndarray) and value.ndim == 0
        )
        if is_scalar:
            scalar = value.item() if isinstance(value, np.ndarray) else value
            frozen[key] = to_fraction(scalar, label)
        else:
            frozen[key] = _fraction_rows(to_rational(value, name=label))
    return MappingProxyType(frozen) if frozen else None


def _freeze_parameters(parameters: object) -> Mapping[str, int | float | str | bool]:
    if not isinstance(parameters, Mapping):
        raise InvalidType(
            f"`parameters` must be a mapping name -> scalar; got {type(parameters).__name__}"
        )
    frozen: dict[str, int | float | str | bool] = {}
    for key, value in parameters.items():
        _check_name("parameters key", key)
        label = f"parameters[{key!r}]"
        if isinstance(value, (bool, np.bool_)):
            frozen[key] = bool(value)
        elif isinstance(value, numbers.Integral):
            frozen[key] = int(value)
        elif isinstance(value, numbers.Real):
            frozen[key] = _check_finite_real(label, value)
        elif isinstance(value, str):
            frozen[key] = value
        else:
            raise InvalidType(f"`{label}` must be an int, float, str or bool; got {value!r}")
    return MappingProxyType(frozen)


@dataclass(frozen=True, eq=False, repr=False)
class Certificate:
    """A claim about a network together with the data that proves it and two verdicts.

    Parameters
    ----------
    claim : str
        The statement in words, e.g. ``"memory 0 is locally exponentially stable"``.
    kind : str
        One of :data:`CERTIFICATE_KINDS`.
    data : mapping of str to ndarray or float
        The certificate in floating point (e.g. ``P``, ``Q``, ``Lambda``, ``delta``). Arrays are
        copied to read-only float64 arrays; all values must be finite.
    solver : SolverInfo, optional
        The solver that produced `data`; None (default) for closed-form certificates.
    residuals : sequence of ConstraintResidual, optional
        The residual table: minimum eigenvalue of each constraint block ``G`` (constraint
        ``G > 0``; see :class:`ConstraintResidual` for the sign convention).
    verified_float : bool, optional
        Whether every constraint passed the floating-point (shifted Cholesky) check.
    verified_exact : bool, optional
        Whether every constraint holds in exact rational arithmetic for `exact_data`. Requires
        `exact_data`.
    parameters : mapping of str to int, float, str or bool, optional
        The scalar parameters the claim depends on (memory index, ``delta``, ``eta``, ...).
    exact_data : mapping of str to rational matrix or rational, optional
        The exact rational data the exact check used (anything
        :func:`assocrate.certify.exact.to_rational` accepts, or a rational scalar); stored as
        nested tuples of :class:`fractions.Fraction` (2-D) or a Fraction.

    Attributes
    ----------
    certified : bool
        True iff ``verified_exact``: only an exact verification earns the word.

    Raises
    ------
    TypeError, ValueError
        On invalid fields, naming the field; ``verified_exact=True`` without `exact_data` is
        refused.

    Examples
    --------
    >>> import numpy as np
    >>> cert = Certificate(
    ...     "the matrix J is Hurwitz",
    ...     "lyapunov",
    ...     {"P": np.eye(2)},
    ...     residuals=[
    ...         ConstraintResidual("P > 0", 1.0),
    ...         ConstraintResidual("-(J^T P + P J) > 0", 2.0),
    ...     ],
    ...     verified_float=True,
    ... )
    >>> cert  # doctest: +NORMALIZE_WHITESPACE
    Certificate(kind='lyapunov', verified_float=True, verified_exact=False,
                data={'P': (2, 2)}, residuals=2)
    >>> cert.certified
    False
    """

    claim: str
    kind: str
    data: Mapping[str, np.ndarray | float]
    _: KW_ONLY
    solver: SolverInfo | None = None
    residuals: tuple[ConstraintResidual, ...] = ()
    verified_float: bool = False
    verified_exact: bool = False
    parameters: Mapping[str, int | float | str | bool] = field(default_factory=dict)
    exact_data: Mapping[str, ExactValue] | None = None

    def __post_init__(self) -> None:
        _check_name("claim", self.claim)
        if self.kind not in CERTIFICATE_KINDS:
            raise InvalidInput(f"`kind` must be one of {CERTIFICATE_KINDS}; got {self.kind!r}")
        object.__setattr__(self, "data", _freeze_data(self.data))
        if self.solver is not None and not isinstance(self.solver, SolverInfo):
            raise InvalidType(f"`solver` must be a SolverInfo or None; got {self.solver!r}")
        if isinstance(self.residuals, (str, bytes)) or not isinstance(self.residuals, Iterable):
            raise InvalidType(
                f"`residuals` must be a sequence of ConstraintResidual; got {self.residuals!r}"
            )
        residuals = tuple(self.residuals)
        for index, row in enumerate(residuals):
            if not isinstance(row, ConstraintResidual):
                raise InvalidType(
                    f"`residuals[{index}]` must be a ConstraintResidual; got {row!r}"
                )
        object.__setattr__(self, "residuals", residuals)
        for label in ("verified_float", "verified_exact"):
            object.__setattr__(self, label, _check_bool(label, getattr(self, label)))
        object.__setattr__(self, "parameters", _freeze_parameters(self.parameters))
        object.__setattr__(self, "exact_data", _freeze_exact_data(self.exact_data))
        if self.verified_exact and self.exact_data is None:
            raise InvalidInput(
                "`verified_exact`=True requires `exact_data` (the exact rational data the check "
                "used); got exact_data=None"
            )

    @property
    def certified(self) -> bool:
        """True iff the claim was verified in exact rational arithmetic."""
        return self.verified_exact

    @property
    def min_residual(self) -> float | None:
        """The smallest ``min_eigenvalue`` in the residual table (None when it is empty)."""
        return min((row.min_eigenvalue for row in self.residuals), default=None)

    def exact_matrix(self, name: str) -> flint.fmpq_mat:
        """A fresh ``fmpq_mat`` of the exact matrix `name` (raises KeyError if absent)."""
        if self.exact_data is None or name not in self.exact_data:
            available = [] if self.exact_data is None else list(self.exact_data)
            raise KeyError(f"no exact matrix {name!r}; available: {available}")
        value = self.exact_data[name]
        if isinstance(value, Fraction):
            return flint.fmpq_mat(1, 1, [flint.fmpq(value.numerator, value.denominator)])
        return to_rational(value, name=name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Certificate):
            return NotImplemented
        if (
            self.claim != other.claim
            or self.kind != other.kind
            or self.solver != other.solver
            or self.residuals != other.residuals
            or self.verified_float != other.verified_float
            or self.verified_exact != other.verified_exact
            or dict(self.parameters) != dict(other.parameters)
            or _exact_dict(self.exact_data) != _exact_dict(other.exact_data)
            or list(self.data) != list(other.data)
        ):
            return False
        for key, value in self.data.items():
            theirs = other.data[key]
            if isinstance(value, float) != isinstance(theirs, float):
                return False
            if isinstance(value, float):
                if value != theirs:
                    return False
            elif value.shape != theirs.shape or not np.array_equal(value, theirs):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # holds arrays

    def __repr__(self) -> str:
        data = {
            key: (value.shape if isinstance(value, np.ndarray) else value)
            for key, value in self.data.items()
        }
        return (
            f"Certificate(kind={self.kind!r}, verified_float={self.verified_float}, "
            f"verified_exact={self.verified_exact}, data={data}, residuals={len(self.residuals)})"
        )

    def summary(self) -> str:
        """A readable account: claim, verdicts, solver, data and the residual table."""
        if self.verified_exact:
            verdict = "CERTIFIED: verified in exact rational arithmetic"
        elif self.verified_float:
            verdict = "verified in floating point only; the exact rational check was not passed"
        else:
            verdict = "NOT verified: neither the floating-point nor the exact check passed"
        lines = [f"Certificate ({self.kind})", f"  claim:   {self.claim}", f"  verdict: {verdict}"]
        lines.append(
            f"  float check: {'passed' if self.verified_float else 'failed'}; "
            f"exact check: {'passed' if self.verified_exact else 'not passed (failed or not run)'}"
        )
        if self.solver is None:
            lines.append("  solver:  none (closed form)")
        else:
            s = self.solver
            parts = [s.name]
            if s.version:
                parts.append(s.version)
            if s.status:
                parts.append(f"status {s.status}")
            if s.solve_time is not None:
                parts.append(f"{s.solve_time:.3g} s")
            lines.append("  solver:  " + ", ".join(parts))
        if self.parameters:
            lines.append(
                "  parameters: " + ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
            )
        if self.data:
            described = [
                f"{k} {v.shape}" if isinstance(v, np.ndarray) else f"{k} = {v:.6g}"
                for k, v in self.data.items()
            ]
            lines.append("  data:    " + ", ".join(described))
        if self.exact_data:
            described = [
                f"{k} ({len(v)}, {len(v[0])})" if isinstance(v, tuple) else f"{k} = {v}"
                for k, v in self.exact_data.items()
            ]
            lines.append("  exact data (rational): " + ", ".join(described))
        if self.residuals:
            lines.append("  residuals (constraint G > 0; lambda_min(G) > 0 means it holds):")
            width = max(len("constraint"), *(len(row.name) for row in self.residuals))
            lines.append(f"    {'constraint':<{width}}  {'lambda_min':>12}  status")
            for row in self.residuals:
                relation = "" if row.strict else " (>= 0)"
                status = "holds" if row.satisfied else "FAILS"
                lines.append(
                    f"    {row.name:<{width}}  {row.min_eigenvalue:>12.4e}  {status}{relation}"
                )
        return "\n".join(lines)


def _fraction_rows(Q: flint.fmpq_mat) -> tuple[tuple[Fraction, ...], ...]:
    """An fmpq_mat as an immutable nested tuple of Fractions."""
    entries, cols = fraction_vector(Q.entries()), Q.ncols()
    return tuple(tuple(entries[i : i + cols]) for i in range(0, len(entries), cols))


def _exact_dict(exact_data: Mapping[str, ExactValue] | None) -> dict[str, ExactValue] | None:
    return None if exact_data is None else dict(exact_data)


# ----------------------------------------------------------------------------------------------
# JSON
# ----------------------------------------------------------------------------------------------

_RATIONAL = re.compile(r"^(-?\d+)(?:/(\d+))?$")
_TOP_LEVEL_KEYS = {
    "format",
    "version",
    "assocrate_version",
    "claim",
    "kind",
    "verified_float",
    "verified_exact",
    "parameters",
    "solver",
    "residuals",
    "data",
    "exact_data",
}


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
        A JSON object with ``"format": "assocrate.certificate"`` and ``"version": 1``.

    Examples
    --------
    >>> from fractions import Fraction
    >>> cert = Certificate("x", "radius", {"delta": 0.25}, exact_data={"delta": Fraction(1, 4)})
    >>> from_json(to_json(cert)) == cert
    True
    """
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")
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
        "verified_float": certificate.verified_float,
        "verified_exact": certificate.verified_exact,
        "parameters": dict(certificate.parameters),
        "solver": None
        if solver is None
        else {
            "name": solver.name,
            "version": solver.version,
            "status": solver.status,
            "solve_time": solver.solve_time,
        },
        "residuals": [
            {"name": row.name, "min_eigenvalue": row.min_eigenvalue, "strict": row.strict}
            for row in certificate.residuals
        ],
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
        JSON text of format ``"assocrate.certificate"``, version 1.

    Returns
    -------
    Certificate
        The certificate, exactly as written (floats bit for bit, rationals exactly). The verdicts
        are read as stored: re-verify before trusting a certificate from a file.

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
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise InvalidInput(
            f"unsupported certificate format version {version!r}; this assocrate reads version "
            f"{FORMAT_VERSION}"
        )
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
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
        )
    except TypeError as err:
        raise InvalidInput(f"invalid certificate JSON: {err}") from err
    except ValueError as err:
        message = str(err)
        if message.startswith("certificate JSON"):
            raise
        raise InvalidInput(f"invalid certificate JSON: {message}") from err


# ----------------------------------------------------------------------------------------------
# Integrity and re-verification
# ----------------------------------------------------------------------------------------------

#: Name of the parameter that holds a certificate's checksum.
CHECKSUM = "checksum"


def checksum(certificate: Certificate) -> str:
    """SHA-256 of a certificate's content (everything but the checksum itself and the version).

    Computed from the canonical JSON form (sorted keys, no indentation), so it survives a save
    and load unchanged and changes with any edited entry.

    Examples
    --------
    >>> cert = Certificate("x", "radius", {"delta": 0.25})
    >>> checksum(cert) == checksum(from_json(to_json(cert)))
    True
    """
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")
    document = json.loads(to_json(certificate, indent=None))
    document.pop("assocrate_version", None)
    document["parameters"].pop(CHECKSUM, None)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(certificate: Certificate) -> Certificate:
    """A copy of `certificate` with its :func:`checksum` recorded in ``parameters["checksum"]``.

    A hand-edited certificate file then fails :func:`verify` even where the edit touches an
    entry no exact check depends on.
    """
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")
    unsealed = dataclasses.replace(
        certificate, parameters={k: v for k, v in certificate.parameters.items() if k != CHECKSUM}
    )
    return dataclasses.replace(unsealed, parameters={**unsealed.parameters, CHECKSUM: checksum(unsealed)})


def verify(certificate: Certificate, network, u=None):
    """Re-check `certificate` from scratch against `network` (`u`: the input, for kind "input").

    See :func:`assocrate.certify.verification.verify` (imported lazily: the network-side code
    depends on this module, not the other way round).
    """
    from ..certify.verification import verify as _verify

    return _verify(certificate, network, u=u)


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
