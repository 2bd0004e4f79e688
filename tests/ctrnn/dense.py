"""The dense map Jacobian the exact spectra of assocrate.ctrnn are checked against (small N only)."""

from __future__ import annotations

import numpy as np


def dense_map_jacobian(network, h, gamma, form):
    """``(1 - gamma) I + gamma W D`` (current form) or ``... + gamma D W`` (rate form), D = diag(phi'(h))."""
    W = network.dense_weights()
    D = np.diag(network.activation.dphi(h))
    inner = W @ D if form == "current" else D @ W
    return (1.0 - gamma) * np.eye(network.n_units) + gamma * inner
