"""Stability of the stored memories: local (DESIGN.md §4) and global (DESIGN.md §5).

Local: exact Jacobian spectra through the low-rank reduction, the paper's conditions and exactly
verified Lyapunov certificates. Global: the energy function, LMI certificates solved with cvxpy,
certified basins and input-driven retrieval, each re-checked in exact rational arithmetic before it
is called certified; :func:`verify` re-checks a saved certificate from scratch.
"""

from ..certify.certificate import Certificate, load_certificate, save_certificate
from ..certify.lmi import certify_contraction, certify_lds
from ..certify.regional import (
    AbsorbingBox,
    CertifiedRadius,
    absorbing_box,
    certified_radius,
    certify_input_driven,
)
from ..certify.verification import Verification, verify

# The function `energy` is not re-exported: it would shadow the submodule `assocrate.stability.energy`.
from .energy import (
    GlobalConvergence,
    check_global_convergence,
    current_energy,
    energy_along,
    energy_gradient,
)
from .local import (
    LocalStability,
    Verdict,
    closed_form_spectrum,
    conditions,
    jacobian_spectrum,
    local_stability,
    lyapunov_certificate,
)

__all__ = [
    "AbsorbingBox",
    "Certificate",
    "CertifiedRadius",
    "GlobalConvergence",
    "LocalStability",
    "Verdict",
    "Verification",
    "absorbing_box",
    "certified_radius",
    "certify_contraction",
    "certify_input_driven",
    "certify_lds",
    "check_global_convergence",
    "closed_form_spectrum",
    "conditions",
    "current_energy",
    "energy_along",
    "energy_gradient",
    "jacobian_spectrum",
    "load_certificate",
    "local_stability",
    "lyapunov_certificate",
    "save_certificate",
    "verify",
]
