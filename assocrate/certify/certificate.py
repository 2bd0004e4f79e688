"""Transitional: the names ``assocrate.certify.certificate`` used to hold, for code not yet updated.

Delete this module once stability/, cli/ and benchmarks import from :mod:`assocrate.certify`
(or :mod:`~assocrate.certify.record`, :mod:`~assocrate.certify.blocks`,
:mod:`~assocrate.certify.serialize`). :func:`verify` is no longer here: use
:func:`assocrate.certify.verify`.
"""

from ..certify.blocks import is_definite_float, min_eigenvalue
from ..certify.record import CERTIFICATE_KINDS, Certificate, ConstraintResidual, SolverInfo
from ..certify.serialize import CHECKSUM, checksum, from_json, load_certificate, save_certificate, seal, to_json

__all__ = [
    "CERTIFICATE_KINDS",
    "CHECKSUM",
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
]
