"""What the tests of assocrate.ctrnn share: small designs and the dense map Jacobian."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns

from ..reference import REFERENCE_SIGMOID


@pytest.fixture(scope="module")
def small():
    """The reference design at N = 200 (P = 6)."""
    return design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, a=-0.3, b=0.95)


@pytest.fixture(scope="module")
def soft():
    """Gain 2: the limiting mode of every memory is a reduced one (dt_max < 2 tau, not the bulk)."""
    return design(equal_overlap_patterns(200, 0.2), Sigmoid(rho=2.0, threshold=0.2), a=-0.3, b=0.95)


def dense_map_jacobian(network, h, gamma, form):
    """``(1 - gamma) I + gamma W D`` (current form) or ``... + gamma D W`` (rate form), D = diag(phi'(h))."""
    W = network.dense_weights()
    D = np.diag(network.activation.dphi(h))
    inner = W @ D if form == "current" else D @ W
    return (1.0 - gamma) * np.eye(network.n_units) + gamma * inner
