"""assocrate: associative memories in positive firing-rate networks.

Design binary memories into ``tau x' = -x + Phi(W x + u)`` with the covariance plus E/I-balance
rule of Betteti, Baggio, Bullo and Zampieri (arXiv 2411.07388), verify them, and retrieve them.

Examples
--------
>>> import assocrate as ac
>>> net = ac.design(ac.equal_overlap_patterns(0.2, 1000), ac.Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)
>>> print(f"alpha'={net.alpha_prime:.4f} gamma={net.gamma:.4f}")
alpha'=7.8126 gamma=-0.2500
"""

from .activations import RectifiedTanh, Sigmoid, activation_from_name
from .design import DesignParameters, MemoryNetwork, design, design_parameters
from .equilibria import equilibrium_residual, refine_equilibrium, uniform_states
from .io import load_network, save_network
from .patterns import (
    correlated_patterns,
    equal_overlap_patterns,
    make_patterns,
    random_patterns,
    row_types,
)

__version__ = "0.1.0"

__all__ = [
    "DesignParameters",
    "MemoryNetwork",
    "RectifiedTanh",
    "Sigmoid",
    "activation_from_name",
    "correlated_patterns",
    "design",
    "design_parameters",
    "equal_overlap_patterns",
    "equilibrium_residual",
    "load_network",
    "make_patterns",
    "random_patterns",
    "refine_equilibrium",
    "row_types",
    "save_network",
    "uniform_states",
]
