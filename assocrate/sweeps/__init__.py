"""Parameter sweeps as xarray Datasets (theory.md §4 phase diagram, §7 capacity, §8).

:func:`phase_diagram` maps local stability over a (rho, threshold) grid in-process
(:mod:`~assocrate.sweeps.phase`); :func:`capacity` runs the capacity experiment cell by cell,
serially or on dask.distributed, with checkpoints (:mod:`~assocrate.sweeps.capacity`), and files
of either are written atomically by :func:`save_dataset` (:mod:`~assocrate.sweeps.checkpoint`).
"""

from ..retrieval.capacity import CapacityCurve
from .capacity import SCHEDULERS, capacity, check_scheduler
from .checkpoint import CAPACITY_FORMAT, capacity_from_sweep, save_dataset
from .phase import PHASE_ACTIVATIONS, PHASE_METHODS, phase_diagram

__all__ = [
    "CAPACITY_FORMAT",
    "PHASE_ACTIVATIONS",
    "PHASE_METHODS",
    "SCHEDULERS",
    "CapacityCurve",
    "capacity",
    "capacity_from_sweep",
    "check_scheduler",
    "phase_diagram",
    "save_dataset",
]
