"""assocrate: associative memories in positive firing-rate networks.

Design binary memories into ``tau x' = -x + Phi(W x + u)`` with the covariance plus E/I-balance
rule of Betteti, Baggio, Bullo and Zampieri (arXiv 2411.07388), verify them, and retrieve them.
Every public name is available here; the names backed by cvxpy, dask or matplotlib are loaded on
first use, so ``import assocrate`` stays light.

Examples
--------
>>> import assocrate as aa
>>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)
>>> print(f"alpha'={net.alpha_prime:.4f} gamma={net.gamma:.4f}")
alpha'=7.8126 gamma=-0.2500
>>> aa.local_stability(net).n_stable
6
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .core.activations import RectifiedTanh, Sigmoid, activation_from_name
from .core.design import MemoryNetwork, design
from .core.diagnosis import PatternDiagnosis, diagnose_patterns
from .core.equilibria import equilibrium_residual, refine_equilibrium, uniform_states
from .core.lif import LIFTransfer
from .core.lowrank import Spectrum
from .core.patterns import (
    correlated_patterns,
    equal_overlap_patterns,
    make_patterns,
    pattern_statistics,
    random_patterns,
    row_types,
)
from .core.rule import DesignParameters, design_parameters
from .errors import FileFormatError, InvalidInput, InvalidType
from .io import load_network, load_patterns, save_network

#: Public names loaded on first use, by the subpackage that defines them.
_LAZY = {
    "assocrate.dynamics": (
        "EulerMaruyamaResult",
        "Pulses",
        "SimulationResult",
        "euler_maruyama",
        "pulse",
        "simulate",
        "vector_field",
    ),
    "assocrate.stability": (
        "GeneralLocalStability",
        "GlobalConvergence",
        "JacobianSpectrum",
        "LocalStability",
        "StabilityConditions",
        "Verdict",
        "closed_form_spectrum",
        "conditions",
        "energy",
        "global_convergence",
        "jacobian_spectrum",
        "local_stability",
        "lyapunov_certificate",
    ),
    "assocrate.certify": (
        "Certificate",
        "CertificateStatus",
        "CertifiedRadius",
        "Verification",
        "absorbing_box",
        "certified_radius",
        "certify_contraction",
        "certify_input_driven",
        "certify_lds",
        "load_certificate",
        "save_certificate",
        "verify",
    ),
    "assocrate.retrieval": (
        "BasinProfile",
        "CueSet",
        "Outcome",
        "RetrievalResult",
        "basin_profile",
        "classify",
        "make_cues",
        "overlaps",
        "retrieve",
        "user_cues",
    ),
    "assocrate.sweeps": ("CapacityCurve", "capacity", "phase_diagram"),
    "assocrate.dale": ("DaleNetwork", "dale_realization", "dale_stability", "simulate_dale"),
    "assocrate.spiking": ("SpikingNetwork", "SpikingResult", "simulate_spiking", "spiking_realization"),
    "assocrate.datasets": ("digit_prototypes", "letter_patterns"),
    "assocrate.presets": ("PaperRun", "paper"),
    "assocrate.ctrnn": (
        "DiscreteNetwork",
        "DiscreteRun",
        "DiscreteStability",
        "discrete_stability",
        "discretize",
        "export_ctrnn",
        "run_discrete",
        "stable_step",
    ),
    "assocrate.graphs": (
        "graph_record",
        "is_irreducible",
        "synaptic_graph",
        "transition_graph",
        "type_graph",
        "write_graph",
    ),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "BasinProfile",
    "CapacityCurve",
    "Certificate",
    "CertificateStatus",
    "CertifiedRadius",
    "CueSet",
    "DaleNetwork",
    "DesignParameters",
    "DiscreteNetwork",
    "DiscreteRun",
    "DiscreteStability",
    "EulerMaruyamaResult",
    "FileFormatError",
    "GeneralLocalStability",
    "GlobalConvergence",
    "InvalidInput",
    "InvalidType",
    "JacobianSpectrum",
    "LIFTransfer",
    "LocalStability",
    "MemoryNetwork",
    "Outcome",
    "PaperRun",
    "PatternDiagnosis",
    "Pulses",
    "RectifiedTanh",
    "RetrievalResult",
    "Sigmoid",
    "SimulationResult",
    "Spectrum",
    "SpikingNetwork",
    "SpikingResult",
    "StabilityConditions",
    "Verdict",
    "Verification",
    "__version__",
    "absorbing_box",
    "activation_from_name",
    "basin_profile",
    "capacity",
    "certified_radius",
    "certify_contraction",
    "certify_input_driven",
    "certify_lds",
    "classify",
    "closed_form_spectrum",
    "conditions",
    "correlated_patterns",
    "dale_realization",
    "dale_stability",
    "design",
    "design_parameters",
    "diagnose_patterns",
    "digit_prototypes",
    "discrete_stability",
    "discretize",
    "energy",
    "equal_overlap_patterns",
    "equilibrium_residual",
    "euler_maruyama",
    "export_ctrnn",
    "global_convergence",
    "graph_record",
    "is_irreducible",
    "jacobian_spectrum",
    "letter_patterns",
    "load_certificate",
    "load_network",
    "load_patterns",
    "local_stability",
    "lyapunov_certificate",
    "make_cues",
    "make_patterns",
    "overlaps",
    "paper",
    "pattern_statistics",
    "phase_diagram",
    "pulse",
    "random_patterns",
    "refine_equilibrium",
    "retrieve",
    "row_types",
    "run_discrete",
    "save_certificate",
    "save_network",
    "simulate",
    "simulate_dale",
    "simulate_spiking",
    "spiking_realization",
    "stable_step",
    "synaptic_graph",
    "transition_graph",
    "type_graph",
    "uniform_states",
    "user_cues",
    "vector_field",
    "verify",
    "write_graph",
]


def __getattr__(name: str) -> object:
    """Load a public name of a heavier subpackage on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'assocrate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
