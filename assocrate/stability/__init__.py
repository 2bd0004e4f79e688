"""Stability of the stored memories: local (theory.md §4) and global (theory.md §5 item 1).

Local: exact Jacobian spectra through the low-rank reduction (:mod:`.spectra`), the paper's
conditions and the closed form (:mod:`.conditions`), every memory at once (:mod:`.local`) and
exactly verified Lyapunov certificates (:mod:`.lyapunov`). Global: the energy function
(:mod:`.energy_function`) and the energy theorem checked on sampled trajectories
(:mod:`.convergence`). The LMI certificates, certified basins and :func:`verify` are
:mod:`assocrate.certify`.
"""

from .conditions import (
    StabilityConditions,
    closed_form_spectrum,
    conditions,
    instability_terms,
    k2_eigenvalues,
    pattern_structure_reason,
)
from .convergence import GlobalConvergence, Hypothesis, euler_step_bound, global_convergence
from .energy_function import current_energy, energy, energy_along, energy_derivative, energy_gradient
from .general import (
    GeneralLocalStability,
    GeneralMemoryStability,
    general_local_stability,
    reduced_jacobian_eigenvalues,
    reduced_weight_eigenvalues,
)
from .local import LocalStability, MemoryStability, local_stability
from .lyapunov import lyapunov_certificate
from .spectra import (
    VERDICT_RTOL,
    JacobianSpectrum,
    Verdict,
    jacobian_spectrum,
    spectrum_at_state,
    spectrum_from_reduced,
    verdict_from,
)

__all__ = [
    "VERDICT_RTOL",
    "GeneralLocalStability",
    "GeneralMemoryStability",
    "GlobalConvergence",
    "Hypothesis",
    "JacobianSpectrum",
    "LocalStability",
    "MemoryStability",
    "StabilityConditions",
    "Verdict",
    "closed_form_spectrum",
    "conditions",
    "current_energy",
    "energy",
    "energy_along",
    "energy_derivative",
    "energy_gradient",
    "euler_step_bound",
    "general_local_stability",
    "global_convergence",
    "instability_terms",
    "jacobian_spectrum",
    "k2_eigenvalues",
    "local_stability",
    "lyapunov_certificate",
    "pattern_structure_reason",
    "reduced_jacobian_eigenvalues",
    "reduced_weight_eigenvalues",
    "spectrum_at_state",
    "spectrum_from_reduced",
    "verdict_from",
]
