"""Dale's-law realization of a designed network: excitatory units plus linear inhibitory units (theory.md §6).

The realization and its sign structure (:mod:`.realization`), the exact spectrum of the augmented
Jacobian at the memories (:mod:`.stability`) and the augmented dynamics (:mod:`.dynamics`).
"""

from .dynamics import DaleSimulation, dale_vector_field, simulate_dale
from .realization import DaleBlocks, DaleNetwork, DaleSigns, dale_realization
from .stability import DaleSpectrum, DaleStability, dale_spectrum, dale_stability

__all__ = [
    "DaleBlocks",
    "DaleNetwork",
    "DaleSigns",
    "DaleSimulation",
    "DaleSpectrum",
    "DaleStability",
    "dale_realization",
    "dale_spectrum",
    "dale_stability",
    "dale_vector_field",
    "simulate_dale",
]
