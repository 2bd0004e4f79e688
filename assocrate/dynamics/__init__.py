"""Vector fields, ODE integration and batched Euler–Maruyama for the rate and current forms (theory.md §2, §7).

Modules: :mod:`~assocrate.dynamics.fields` (inputs, vector fields), :mod:`~assocrate.dynamics.ode`
(solve_ivp to a steady state), :mod:`~assocrate.dynamics.sde` (Euler–Maruyama),
:mod:`~assocrate.dynamics.tiles` (its step, by row blocks and cache-sized tiles),
:mod:`~assocrate.dynamics.threads` (when BLAS and the row blocks get threads).

Examples
--------
>>> import assocrate as aa
>>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
>>> aa.simulate(net, 0.8 * net.memory_rates()[:, 0], (0.0, 50.0)).status.name
'STEADY'
"""

from ..core.design import FORMS
from .fields import Pulses, pulse, vector_field
from .ode import SimulationResult, SimulationStatus, integrate_to_steady, simulate
from .sde import BOUNDARIES, EulerMaruyamaResult, EulerMaruyamaStatus, euler_maruyama, integer_seed, noise_key
from .threads import blas_threads_for

__all__ = [
    "BOUNDARIES",
    "FORMS",
    "EulerMaruyamaResult",
    "EulerMaruyamaStatus",
    "Pulses",
    "SimulationResult",
    "SimulationStatus",
    "blas_threads_for",
    "euler_maruyama",
    "integer_seed",
    "integrate_to_steady",
    "noise_key",
    "pulse",
    "simulate",
    "vector_field",
]
