"""Certificates (theory.md §5): the record, its JSON form, exact arithmetic, one module per kind, verify.

Layers, each importing only the ones above it:

- :mod:`~assocrate.certify.status`, :mod:`~assocrate.certify.record` — what a certificate is;
  :mod:`~assocrate.certify.serialize` — JSON, checksum, seal, files;
- :mod:`~assocrate.certify.exact`, :mod:`~assocrate.certify.blocks` — exact and float checks of a
  constraint; :mod:`~assocrate.certify.solver` — the solver policy (the only module that imports
  cvxpy, inside its functions);
- one module per kind, each with its certifier and its check: :mod:`~assocrate.certify.lds`,
  :mod:`~assocrate.certify.contraction`, :mod:`~assocrate.certify.radius`,
  :mod:`~assocrate.certify.sector`, :mod:`~assocrate.certify.input_driven`,
  :mod:`~assocrate.certify.interval` (the Metzler test they share: :mod:`~assocrate.certify.metzler`);
- :mod:`~assocrate.certify.verification` — :func:`verify`, a dispatcher over those same checks.
"""

from .basin import CertifiedRadius
from .blocks import is_definite_float, min_eigenvalue
from .contraction import certify_contraction
from .exact import is_negative_definite_exact, is_positive_definite_exact, round_dyadic, to_rational
from .input_driven import AbsorbingBox, absorbing_box, certify_input_driven
from .lds import certify_lds
from .radius import certified_radius
from .record import CERTIFICATE_KINDS, Certificate, ConstraintResidual, SolverInfo
from .serialize import checksum, from_json, load_certificate, save_certificate, seal, to_json
from .solver import SOLVERS, default_solver
from .status import CertificateStatus
from .verification import Verification, verify

__all__ = [
    "CERTIFICATE_KINDS",
    "SOLVERS",
    "AbsorbingBox",
    "Certificate",
    "CertificateStatus",
    "CertifiedRadius",
    "ConstraintResidual",
    "SolverInfo",
    "Verification",
    "absorbing_box",
    "certified_radius",
    "certify_contraction",
    "certify_input_driven",
    "certify_lds",
    "checksum",
    "default_solver",
    "from_json",
    "is_definite_float",
    "is_negative_definite_exact",
    "is_positive_definite_exact",
    "load_certificate",
    "min_eigenvalue",
    "round_dyadic",
    "save_certificate",
    "seal",
    "to_json",
    "to_rational",
    "verify",
]
