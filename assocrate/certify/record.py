"""The :class:`Certificate` record: a claim, its witness, the solver, the residual table and a status.

theory.md §5 ("Verification"): a certificate records the claim, the certificate data, the solver
that produced it, a residual table with the minimum eigenvalue of each constraint block, and two
verdicts: ``verified_float`` (shifted Cholesky) and ``verified_exact`` (exact rational arithmetic).
Only ``verified_exact`` earns the word "certified". Every certificate also carries a
:class:`CertificateStatus` saying what happened and what to do about it; ``certified`` is derived
from it. JSON and files: :mod:`assocrate.certify.serialize`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Union

import flint
import numpy as np

from .._summary import Summarized
from ..certify._rational import fraction_vector, to_fraction
from ..certify.exact import to_rational
from ..certify.status import CertificateStatus
from ..errors import InvalidInput, InvalidType

__all__ = [
    "CERTIFICATE_KINDS",
    "Certificate",
    "ConstraintResidual",
    "ExactValue",
    "SolverInfo",
]

#: The kinds of statement a certificate can make (theory.md §4–§5).
#:
#: - ``"lyapunov"``: local exponential stability of an equilibrium (``J^T P + P J < 0``, ``P > 0``);
#: - ``"lds"``: Lyapunov-diagonal stability, unique globally stable equilibrium;
#: - ``"contraction"``: the incremental (contraction) LMI;
#: - ``"radius"``: a certified retrieval radius (Metzler majorant on a box);
#: - ``"sector"``: the sector-LMI ellipsoid (an l2 statement, never the headline radius);
#: - ``"input"``: input-driven global retrieval (absorbing box plus contraction / Metzler bound);
#: - ``"interval"``: a certified retrieval radius by interval iteration (theory.md §5 item 3b).
CERTIFICATE_KINDS: tuple[str, ...] = ("lyapunov", "lds", "contraction", "radius", "sector", "input", "interval")

#: An exact entry: a rational matrix as nested tuples of Fractions, or one Fraction.
ExactValue = Union[tuple[tuple[Fraction, ...], ...], Fraction]


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

    def summary(self) -> str:
        """One line: name, version, status and time.

        >>> SolverInfo("SCS", status="optimal", solve_time=0.5).summary()
        'SCS, status optimal, 0.5 s'
        """
        parts = [self.name]
        if self.version:
            parts.append(self.version)
        if self.status:
            parts.append(f"status {self.status}")
        if self.solve_time is not None:
            parts.append(f"{self.solve_time:.3g} s")
        return ", ".join(parts)


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

    def summary(self) -> str:
        """One line: the constraint, lambda_min and whether it holds.

        >>> ConstraintResidual("P > 0", 0.25).summary()
        'P > 0: lambda_min 2.5000e-01, holds'
        """
        relation = "" if self.strict else " (>= 0)"
        return f"{self.name}: lambda_min {self.min_eigenvalue:.4e}, {'holds' if self.satisfied else 'FAILS'}{relation}"


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


def _is_fraction_rows(value: object) -> bool:
    """Whether `value` is a non-empty nested tuple of equally long tuples of Fractions (the frozen form)."""
    return (isinstance(value, tuple) and len(value) > 0 and all(isinstance(row, tuple) for row in value)
            and len(value[0]) > 0 and all(len(row) == len(value[0]) for row in value)
            and all(type(x) is Fraction for row in value for x in row))


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
        elif _is_fraction_rows(value):  # already frozen (a copy of a certificate): kept, not reconverted
            frozen[key] = value
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
class Certificate(Summarized):
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
    status : CertificateStatus, optional
        What became of the certificate (e.g. ``INFEASIBLE`` or ``TOO_LARGE`` for "no certificate
        found"). Default: derived from the verdicts (:meth:`CertificateStatus.from_verdicts`).
        ``CERTIFIED`` if and only if ``verified_exact``.

    Attributes
    ----------
    certified : bool
        True iff the status is ``CERTIFIED`` (``verified_exact``): only an exact verification earns
        the word.

    Raises
    ------
    TypeError, ValueError
        On invalid fields, naming the field; ``verified_exact=True`` without `exact_data`, and a
        status that contradicts ``verified_exact``, are refused.

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
    Certificate(kind='lyapunov', status='float_only', verified_float=True, verified_exact=False,
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
    status: CertificateStatus | None = None

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
        status = self.status
        if status is None:
            status = CertificateStatus.from_verdicts(self.verified_float, self.verified_exact)
        elif not isinstance(status, CertificateStatus):
            raise InvalidType(f"`status` must be a CertificateStatus or None; got {status!r}")
        if (status is CertificateStatus.CERTIFIED) != self.verified_exact:
            raise InvalidInput(
                f"`status`={status.code!r} contradicts `verified_exact`={self.verified_exact}: "
                "only an exactly verified certificate is 'certified' (pass both together)"
            )
        object.__setattr__(self, "status", status)

    @property
    def certified(self) -> bool:
        """True iff the claim was verified in exact rational arithmetic (status ``CERTIFIED``)."""
        return self.status is CertificateStatus.CERTIFIED

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
            or self.status is not other.status
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
            f"Certificate(kind={self.kind!r}, status={self.status.code!r}, verified_float={self.verified_float}, "
            f"verified_exact={self.verified_exact}, data={data}, residuals={len(self.residuals)})"
        )

    def summary(self) -> str:
        """A readable account: claim, verdicts, solver, data and the residual table."""
        if self.certified:
            verdict = "CERTIFIED: verified in exact rational arithmetic"
        elif self.status is CertificateStatus.REFUSED:  # a re-check stopped before its checks, or failed one
            verdict = "REFUSED by the re-check: the claim is not proved for this network (see the problems)"
        elif self.verified_float:
            verdict = "verified in floating point only; the exact rational check was not passed"
        else:
            verdict = "NOT verified: neither the floating-point nor the exact check passed"
        lines = [f"Certificate ({self.kind})", f"  claim:   {self.claim}", f"  verdict: {verdict}",
                 f"  status:  {self.status.code}: {self.status.value}"]
        lines.append(
            f"  float check: {'passed' if self.verified_float else 'failed'}; "
            f"exact check: {'passed' if self.verified_exact else 'not passed (failed or not run)'}"
        )
        lines.append("  solver:  " + ("none (closed form)" if self.solver is None else self.solver.summary()))
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


