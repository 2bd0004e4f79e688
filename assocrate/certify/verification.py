"""Re-check a certificate from scratch against a network (theory.md §5, "Verification").

:func:`verify` trusts nothing in the certificate but its exact data. It checks what only a stored
certificate needs (that it is for this network, sealed and unedited), then dispatches to the
*same* check function the certifier ran after building the witness
(:func:`~assocrate.certify.lds.verify_lds`, :func:`~assocrate.certify.contraction.verify_contraction`,
:func:`~assocrate.certify.radius.verify_radius`, :func:`~assocrate.certify.sector.verify_sector`,
:func:`~assocrate.certify.input_driven.verify_input`, :func:`~assocrate.certify.interval.verify_interval`), which recomputes W exactly from the
network's factors, the partition into classes, every rigorous slope and residual bound, the exact
LMI blocks and the Metzler inequalities, and regenerates the claim. A certificate passes only if

- it is for this network (the SHA-256 digest of the patterns and parameters matches);
- its content matches the checksum it was sealed with, and its exact data are what its float data
  say (each float equals the rounding of its rational). The seal is a plain SHA-256 that anyone
  can recompute: it catches accidents, not forgeries, and nothing below relies on it;
- every hypothesis of the kind's theorem holds again, checked exactly from the network and the
  minimal witness (dimensions, signs, normalisation, the identity of the memory, the matrix
  inequalities; the numbered lists in each check's docstring and theory.md §5), the first that
  fails being named in ``problems`` and ``hypothesis``;
- the recorded residual table agrees with the recomputed one, and the recorded claim is the one the
  recomputed data prove.

Local (``"lyapunov"``) certificates are rebuilt with
:func:`assocrate.stability.lyapunov_certificate` and compared entry by entry.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._summary import Summarized
from ..certify._reduction import input_vector, network_digest, reduce_network
from ..certify.contraction import verify_contraction
from ..certify.input_driven import verify_input
from ..certify.interval import verify_interval
from ..certify.lds import verify_lds
from ..certify.radius import verify_radius
from ..certify.record import Certificate, ConstraintResidual
from ..certify.sector import verify_sector
from ..certify.serialize import CHECKSUM, checksum
from ..certify.status import CertificateStatus
from ..certify.witness import Checked, CheckFailed
from ..core.design import check_network
from ..errors import InvalidType

__all__ = ["CHECKS", "Verification", "verify"]

#: The check of each kind but "lyapunov": ``check(certificate, network, red) -> Checked``.
CHECKS = {
    "lds": verify_lds,
    "contraction": verify_contraction,
    "radius": verify_radius,
    "sector": verify_sector,
    "input": verify_input,
    "interval": verify_interval,
}

# Exact entries whose float twin in `data` has another name.
_DATA_NAMES = {"R": "residual_bound"}


@dataclass(frozen=True, repr=False)
class Verification(Summarized):
    """The outcome of :func:`verify`.

    Attributes
    ----------
    verified : bool
        True iff every check passed: the claim is proved for the network.
    certificate : Certificate
        The certificate with the residual table, verdicts and status recomputed by this
        verification (status ``REFUSED`` when a check failed; unchanged when the certificate
        claimed nothing).
    problems : tuple of str
        Why it was not verified (empty when it was).
    hypothesis : int or None
        The number of the hypothesis of the kind's theorem that failed (the numbered list in its
        check's docstring and theory.md §5), or None (verified, or refused for another reason:
        another network, an edited file, a missing entry).
    """

    verified: bool
    certificate: Certificate
    problems: tuple[str, ...]
    hypothesis: int | None = None

    @property
    def status(self) -> CertificateStatus:
        """The re-checked certificate's status (``CERTIFIED`` iff `verified`)."""
        return self.certificate.status

    def summary(self) -> str:
        """Verdict, problems, then the re-checked certificate."""
        if self.verified:
            head = "VERIFIED: every check passed again in exact arithmetic; the claim holds for this network"
        else:
            head = "NOT VERIFIED:\n" + "\n".join(f"  - {p}" for p in self.problems)
        return head + "\n" + self.certificate.summary()

    def __repr__(self) -> str:
        return (f"Verification(verified={self.verified}, kind={self.certificate.kind!r}, "
                f"status={self.status.code!r}, problems={len(self.problems)})")


def _fractions(value) -> list[Fraction]:
    if isinstance(value, Fraction):
        return [value]
    return [x for row in value for x in row]


def _consistency_problems(certificate: Certificate) -> list[str]:
    """Every exact entry must round to its float twin in `data`."""
    problems = []
    for name, value in (certificate.exact_data or {}).items():
        twin = _DATA_NAMES.get(name, name)
        if twin not in certificate.data:
            continue
        stored = np.atleast_1d(np.asarray(certificate.data[twin], dtype=float)).ravel()
        exact = np.array([float(x) for x in _fractions(value)])
        if stored.shape != exact.shape or not np.array_equal(stored, exact):
            problems.append(f"data[{twin!r}] does not equal its exact rational form exact_data[{name!r}]: the file was edited")
    return problems


def _same_rows(stored: tuple[ConstraintResidual, ...], computed: tuple[ConstraintResidual, ...]) -> bool:
    if [r.name for r in stored] != [r.name for r in computed]:
        return False
    return all(
        math.isclose(a.min_eigenvalue, b.min_eigenvalue, rel_tol=1e-6, abs_tol=1e-12)
        for a, b in zip(stored, computed)
    )


def _require_counts(certificate: Certificate, red) -> None:
    if certificate.parameters.get("n_classes") != red.n_classes:
        raise CheckFailed(
            f"the certificate has {certificate.parameters.get('n_classes')} classes of units; the network has "
            f"{red.n_classes} (an input certificate whose u is not constant on row types is re-checked "
            "with that input: verify(certificate, network, u=u))"
        )
    if "counts" in certificate.data and not np.array_equal(np.asarray(certificate.data["counts"]), red.counts):
        raise CheckFailed("the class sizes recorded in the certificate differ from the network's")


def _verify_lyapunov(certificate: Certificate, network) -> Checked:
    """Local certificates are rebuilt from the network and compared."""
    from ..stability import lyapunov_certificate

    parameters = certificate.parameters
    method = "explicit" if str(parameters.get("method", "")).startswith("explicit") else "lyapunov"
    try:
        rebuilt = lyapunov_certificate(network, parameters.get("memory", -1), form=parameters.get("form", "rate"),
                                       at=parameters.get("at", "equilibrium"), method=method)
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as error:
        raise CheckFailed(f"the local Lyapunov certificate cannot be rebuilt from its parameters: {error}") from None
    if not rebuilt.verified_exact:
        raise CheckFailed("the local Lyapunov certificate could not be rebuilt and verified for this network")
    if dict(rebuilt.exact_data) != dict(certificate.exact_data) or rebuilt.data.keys() != certificate.data.keys() or any(
        not np.array_equal(rebuilt.data[key], certificate.data[key]) for key in rebuilt.data
    ):
        raise CheckFailed("the certificate's data differ from the ones rebuilt from the network")
    _require_same_parameters(parameters, rebuilt.parameters)
    return Checked(rebuilt.residuals, rebuilt.verified_float, rebuilt.claim)


def _require_same_parameters(stored, rebuilt) -> None:
    """Every parameter (n_units, tau, form, memory, max_eigenvalue, ...) must be the rebuilt one.

    Lyapunov certificates are not sealed, so this comparison (with the data, exact data and claim
    compared in :func:`_verify_lyapunov`) is what pins them to the network: floats to a relative 1e-9.
    """
    stored = {key: value for key, value in stored.items() if key != CHECKSUM}
    if stored.keys() != rebuilt.keys():
        raise CheckFailed("the certificate's parameters differ from the ones rebuilt from the network")
    for key, value in rebuilt.items():
        mine = stored[key]
        if isinstance(value, float) and isinstance(mine, (int, float)) and not isinstance(mine, bool):
            same = math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-300)
        else:
            same = type(mine) is type(value) and mine == value
        if not same:
            raise CheckFailed(f"the certificate's parameter {key!r} = {mine!r} differs from the one rebuilt from "
                              f"the network ({value!r})")


def _verify_kind(certificate: Certificate, network, u: np.ndarray | None) -> Checked:
    """Dispatch to the check of the certificate's kind, on the classes it was made on."""
    kind = certificate.kind
    if kind == "lyapunov":
        return _verify_lyapunov(certificate, network)
    if kind not in CHECKS:
        raise CheckFailed(f"certificates of kind {kind!r} cannot be re-verified")
    reduction = certificate.parameters.get("reduction", "types")
    if reduction not in ("types", "full"):
        raise CheckFailed(f"unknown reduction {reduction!r}")
    if u is not None and kind != "input":
        raise CheckFailed(f"an input `u` applies to certificates of kind 'input' only, not {kind!r}")
    red = reduce_network(network, u=u, reduction=reduction)
    _require_counts(certificate, red)
    if u is not None:
        return verify_input(certificate, network, red, u)
    return CHECKS[kind](certificate, network, red)


def _refused(certificate: Certificate, residuals, problems: list[str], verified_float: bool = False,
             hypothesis: int | None = None) -> Verification:
    rechecked = dataclasses.replace(certificate, residuals=tuple(residuals), verified_float=bool(verified_float),
                                    verified_exact=False, status=CertificateStatus.REFUSED)
    return Verification(False, rechecked, tuple(problems), hypothesis)


def verify(certificate: Certificate, network, u: float | np.ndarray | None = None) -> Verification:
    """Re-check `certificate` from scratch against `network`.

    Parameters
    ----------
    certificate : Certificate
        E.g. from :func:`~assocrate.certify.serialize.load_certificate`.
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        For kind ``"input"`` only: the input the certificate was made for. An input certificate
        records its input per class of units (row type and value of u), not per unit, so when u
        is not constant on row types the classes can only be rebuilt from u itself: pass it here.
        The classes are then ``reduce_network(network, u=u)`` and the recorded per-class input
        must equal u on them. Without `u` the classes are the row types (enough when u is
        constant on them; otherwise the class counts differ and the certificate is not verified).

    Returns
    -------
    Verification
        ``verified`` is True only if every check passed (module docstring); otherwise
        ``problems`` says what failed and the re-checked certificate has status ``REFUSED``. A
        certificate that never claimed a result ("no certificate found") is not verified and
        keeps its status.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> aa.verify(aa.certified_radius(net, 0).certificate, net).verified
    True
    """
    if not isinstance(certificate, Certificate):
        raise InvalidType(f"`certificate` must be a Certificate; got {type(certificate).__name__}")
    network = check_network(network)
    u = input_vector(u, network.n_units)
    if not certificate.verified_exact or certificate.exact_data is None:
        problem = f"the certificate does not claim an exactly verified result: {certificate.claim}"
        return Verification(False, certificate, (problem,))
    kind = certificate.kind
    if kind != "lyapunov" and certificate.parameters.get("network") != network_digest(network):
        return _refused(certificate, (), ["the certificate was made for another network (the network digest differs)"])
    problems: list[str] = []
    stored_checksum = certificate.parameters.get(CHECKSUM)
    if stored_checksum is None:
        # Every kind but "lyapunov" is sealed when built; a Lyapunov certificate is instead rebuilt
        # from the network and compared entry by entry (data, exact data, parameters, claim).
        if kind != "lyapunov":
            problems.append("the certificate has no checksum (parameters['checksum']): it was not sealed or was edited")
    elif stored_checksum != checksum(certificate):
        problems.append("the certificate's checksum does not match its content: the file was edited")
    problems.extend(_consistency_problems(certificate))
    try:
        checked = _verify_kind(certificate, network, u)
    except CheckFailed as failure:
        return _refused(certificate, certificate.residuals, [*problems, str(failure)], hypothesis=failure.hypothesis)
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError) as error:
        # Edited parameters the checks cannot even be run with: not verified, not invalid input.
        problem = f"the certificate cannot be re-checked against the network (edited parameters?): {error}"
        return _refused(certificate, certificate.residuals, [*problems, problem])
    if not _same_rows(certificate.residuals, checked.residuals):
        problems.append("the recorded residual table differs from the recomputed one")
    if checked.claim != certificate.claim:
        problems.append("the recorded claim is not the one the data prove")
    if problems:
        return _refused(certificate, checked.residuals, problems, checked.verified_float)
    rechecked = dataclasses.replace(certificate, residuals=tuple(checked.residuals),
                                    verified_float=bool(checked.verified_float))
    return Verification(True, rechecked, ())
