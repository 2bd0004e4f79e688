"""What the tests of assocrate.ctrnn share: small designs."""

from __future__ import annotations

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

