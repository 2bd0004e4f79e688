# Global results and certificates (DESIGN.md §5): energy, LMIs, certified basins, re-verification.
from .certificate import Certificate, load_certificate, save_certificate
from .energy import GlobalConvergence, check_global_convergence, current_energy, energy, energy_along, energy_gradient
from .lmi import certify_contraction, certify_lds
from .regional import AbsorbingBox, CertifiedRadius, absorbing_box, certified_radius, certify_input_driven
from .verification import Verification, verify
