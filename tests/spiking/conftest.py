"""Fixtures of the spiking tests; brian2 (optional) is imported here once with pyparsing's warnings silenced.

Brian2 2.9.0 uses pyparsing APIs that pyparsing >= 3.3 deprecates; pytest runs with
filterwarnings=error, so the first import goes through assocrate.spiking._brian (which ignores
only that warning category). The test modules then call pytest.importorskip("brian2").
"""

from __future__ import annotations

import pytest

from assocrate.activations import Sigmoid
from assocrate.design import design
from assocrate.patterns import equal_overlap_patterns
from assocrate.spiking.transfer import LIFTransfer

try:
    from assocrate.spiking._brian import import_brian2

    import_brian2()
except ImportError:
    pass

#: The LIF transfer used for the LIF reference design (tau_m 10 ms, t_ref 4 ms: at most 250 Hz).
REFERENCE_LIF = LIFTransfer(tau_m=0.01, t_ref=0.004, threshold=1.0, reset=0.0, sigma=0.3)


@pytest.fixture(scope="session")
def reference_network():
    """Equal-overlap design, N = 1000, sigmoid rho = 4.8, x* = 0.2, a = -0.3, b = 0.95."""
    return design(equal_overlap_patterns(0.2, 1000), Sigmoid(4.8, 0.2), -0.3, 0.95)


@pytest.fixture(scope="session")
def lif_network():
    """Equal-overlap design with the LIF transfer, a = -2, b = 4 (gamma < 0, every memory stable)."""
    return design(equal_overlap_patterns(0.2, 1000), REFERENCE_LIF, -2.0, 4.0)
