"""Dense reference Jacobians for the stability tests (small N only)."""

from __future__ import annotations

import numpy as np

from assocrate.core.activations import RectifiedTanh
from assocrate.core.equilibria import refine_equilibrium

STABLE_TANH = RectifiedTanh(rho=4.8, threshold=0.3)  # a = -0.3 below threshold: d_a = 0, memories stable


def dense_jacobians(network, mu, at="equilibrium"):
    """Dense J_rate and J_current at the same point the reduction uses."""
    if at == "ideal" or network.is_exact:
        h = network.memory_currents()[:, mu]
    else:
        h = refine_equilibrium(network, network.memory_rates()[:, mu]).h
    d = network.activation.dphi(h)
    W = network.dense_weights()
    eye = np.eye(network.n_units)
    return (-eye + d[:, None] * W) / network.tau, (-eye + W * d[None, :]) / network.tau
