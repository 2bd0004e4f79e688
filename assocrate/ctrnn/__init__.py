"""The designed network as a discrete-time CTRNN (the nn4n / neurogym formulation; theory.md §6b).

Modules: :mod:`~assocrate.ctrnn.map` (:func:`discretize`, the map and :func:`run_discrete` with
pre- and post-activation noise), :mod:`~assocrate.ctrnn.stability` (the map's exact spectra at
every memory and the largest stable step ``dt_max``) and :mod:`~assocrate.ctrnn.export`
(:func:`export_ctrnn`: plain arrays in the ``torch.nn.Linear`` layout, with the E/I mask of a
Dale realization).

Examples
--------
>>> import assocrate as aa
>>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
>>> round(aa.discrete_stability(aa.discretize(net, 0.1)).dt_max, 4)
1.9999
"""

from .export import CTRNN_FORMAT, export_ctrnn
from .map import DISCRETE_FORMS, DiscreteNetwork, DiscreteRun, check_discrete, discretize, run_discrete
from .stability import DiscreteMemoryStability, DiscreteStability, discrete_stability, stable_step

__all__ = [
    "CTRNN_FORMAT",
    "DISCRETE_FORMS",
    "DiscreteMemoryStability",
    "DiscreteNetwork",
    "DiscreteRun",
    "DiscreteStability",
    "check_discrete",
    "discrete_stability",
    "discretize",
    "export_ctrnn",
    "run_discrete",
    "stable_step",
]
