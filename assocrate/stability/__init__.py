# Global results and certificates (DESIGN.md §5): energy, LMIs, certified basins, re-verification.
from .certificate import Certificate, load_certificate, save_certificate
from .energy import GlobalConvergence, check_global_convergence, current_energy, energy, energy_along, energy_gradient
from .lmi import certify_contraction, certify_lds
from .regional import AbsorbingBox, CertifiedRadius, absorbing_box, certified_radius, certify_input_driven
from .verification import Verification, verify
# Local stability (DESIGN.md §4): exact Jacobian spectra, the paper's conditions, Lyapunov certificates.
from .local import (
    LocalStability,
    Verdict,
    closed_form_spectrum,
    conditions,
    jacobian_spectrum,
    local_stability,
    lyapunov_certificate,
)
