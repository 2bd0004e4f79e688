"""What every kind of certificate shares: the witness, the check's answer, "no certificate found".

Each kind (:mod:`~assocrate.certify.lds`, :mod:`~assocrate.certify.contraction`,
:mod:`~assocrate.certify.radius`, :mod:`~assocrate.certify.sector`,
:mod:`~assocrate.certify.input_driven`) has one *check* function
``verify_<kind>(certificate, network, red) -> Checked`` that re-derives everything from the
network and the certificate's exact data, checks each hypothesis of the kind's theorem (a
numbered list in its docstring and theory.md §5) with :func:`require`, and raises
:class:`CheckFailed` naming the first that fails. The
certifier builds a *witness* (an unchecked :class:`Certificate` holding the exact data and
parameters) and hands it to that check; :func:`~assocrate.certify.verification.verify` calls the
same check on a loaded certificate. So certify and verify run the same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..certify._rational import to_fraction
from ..certify._reduction import ReducedNetwork, network_digest
from ..certify.record import Certificate, ConstraintResidual, SolverInfo
from ..certify.serialize import seal
from ..certify.status import CertificateStatus

__all__ = [
    "CheckFailed",
    "Checked",
    "base_parameters",
    "eta_of",
    "exact_entry",
    "exact_scalar",
    "exact_square",
    "exact_vector",
    "no_certificate",
    "require",
    "require_same",
    "seal_checked",
    "witness",
]

#: The claim of a witness before its check has run.
_WITNESS_CLAIM = "unchecked witness (its check has not run)"


class CheckFailed(Exception):
    """A check failed; the message says which, `residuals` holds the table computed so far.

    `hypothesis` is the number of the failed hypothesis in the kind's theorem (the numbered list
    in its check's docstring and in theory.md §5), or None for a failure outside the theorem
    (another network, a missing entry).
    """

    def __init__(self, message: str, residuals: Sequence[ConstraintResidual] = (), *,
                 hypothesis: int | None = None) -> None:
        super().__init__(message)
        self.residuals = tuple(residuals)
        self.hypothesis = hypothesis


def require(hypothesis: int, statement: str, holds: bool, detail: str = "",
            residuals: Sequence[ConstraintResidual] = ()) -> None:
    """Raise :class:`CheckFailed` naming hypothesis `hypothesis` (`statement`) unless it `holds`."""
    if not holds:
        more = f": {detail}" if detail else ""
        raise CheckFailed(f"hypothesis {hypothesis} fails ({statement}){more}", residuals, hypothesis=hypothesis)


def exact_vector(certificate: Certificate, name: str, length: int, *, hypothesis: int = 1) -> list[Fraction]:
    """The exact row `name`, which must have exactly `length` entries (one per class): hypothesis 1."""
    value = exact_entry(certificate, name)
    if isinstance(value, Fraction):
        raise CheckFailed(f"hypothesis {hypothesis} fails (dimensions): exact_data[{name!r}] must be a row of "
                          f"{length} entries, one per class; got a number", hypothesis=hypothesis)
    require(hypothesis, "dimensions", len(value) == length,
            f"exact_data[{name!r}] has {len(value)} entries; the network has {length} classes of units")
    return value


def exact_square(certificate: Certificate, name: str, size: int, *, hypothesis: int = 1):
    """The exact symmetric matrix `name` (an fmpq_mat), which must be `size` x `size`: hypothesis 1."""
    matrix = exact_entry(certificate, name, matrix=True)
    require(hypothesis, "dimensions", matrix.nrows() == size and matrix.ncols() == size,
            f"exact_data[{name!r}] is {matrix.nrows()} x {matrix.ncols()}; the network has {size} classes of units")
    require(hypothesis, "dimensions", matrix == matrix.transpose(), f"exact_data[{name!r}] is not symmetric")
    return matrix


def exact_scalar(certificate: Certificate, name: str, *, hypothesis: int = 1) -> Fraction:
    """The exact number `name`: hypothesis 1 (a number, not a row)."""
    value = exact_entry(certificate, name)
    if not isinstance(value, Fraction):
        raise CheckFailed(f"hypothesis {hypothesis} fails (dimensions): exact_data[{name!r}] must be one number",
                          hypothesis=hypothesis)
    return value


@dataclass(frozen=True)
class Checked:
    """What a passed check proves: the residual table, the float verdict and the claim."""

    residuals: tuple[ConstraintResidual, ...]
    verified_float: bool
    claim: str

    def summary(self) -> str:
        """The claim, then one line per constraint."""
        float_check = "passed" if self.verified_float else "failed"
        return "\n".join([f"proved: {self.claim}", f"float check {float_check}",
                          *(row.summary() for row in self.residuals)])


def exact_entry(certificate: Certificate, name: str, *, matrix: bool = False):
    """An exact entry: a Fraction, a list of Fractions (a 1 x k row) or, with `matrix`, an fmpq_mat."""
    if certificate.exact_data is None or name not in certificate.exact_data:
        raise CheckFailed(f"the certificate has no exact entry {name!r}")
    value = certificate.exact_data[name]
    if isinstance(value, Fraction):
        if matrix:
            raise CheckFailed(f"the exact entry {name!r} must be a matrix")
        return value
    if matrix:
        return certificate.exact_matrix(name)
    if len(value) != 1:
        raise CheckFailed(f"the exact entry {name!r} must be one row")
    return list(value[0])


def require_same(name: str, stored, recomputed, *, hypothesis: int | None = None) -> None:
    """Raise :class:`CheckFailed` unless the recorded `name` equal the recomputed ones."""
    if list(stored) != list(recomputed):
        prefix = "" if hypothesis is None else f"hypothesis {hypothesis} fails: "
        raise CheckFailed(f"{prefix}the recorded {name} differ from the ones recomputed from the network",
                          hypothesis=hypothesis)


def eta_of(network) -> Fraction:
    """``sup phi'`` of the network's activation, exactly."""
    return to_fraction(network.activation.max_slope)


def base_parameters(network, red: ReducedNetwork) -> dict:
    """Parameters every certificate records: the network's digest and the partition."""
    return {
        "network": network_digest(network),
        "n_units": network.n_units,
        "reduction": red.part.reduction,
        "n_classes": red.n_classes,
    }


def witness(kind: str, data: Mapping, *, parameters: Mapping, exact_data: Mapping,
            solver: SolverInfo | None = None) -> Certificate:
    """An unchecked certificate: the data a check reads, before the check has run."""
    return Certificate(_WITNESS_CLAIM, kind, dict(data), solver=solver, parameters=parameters,
                       exact_data=exact_data, status=CertificateStatus.NOT_VERIFIED)


def seal_checked(candidate: Certificate, checked: Checked) -> Certificate:
    """The sealed certificate: `candidate` with the claim, residuals and verdicts its check proved."""
    return seal(dataclasses.replace(
        candidate, claim=checked.claim, residuals=checked.residuals, verified_float=bool(checked.verified_float),
        verified_exact=True, status=CertificateStatus.CERTIFIED,
    ))


def no_certificate(kind: str, reason: str, *, status: CertificateStatus, solver: SolverInfo | None,
                   parameters: Mapping, data: Mapping | None = None, residuals=()) -> Certificate:
    """The verdict when no certificate was found: both verdicts False, `status` says why."""
    return seal(Certificate(
        f"no certificate found: {reason}",
        kind,
        dict(data or {}),
        solver=solver,
        residuals=residuals,
        verified_float=False,
        verified_exact=False,
        parameters=parameters,
        status=status,
    ))
