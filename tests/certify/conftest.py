"""Fixtures shared by the certify tests."""

from __future__ import annotations

import pytest

from assocrate.certify.contraction import certify_contraction
from assocrate.certify.input_driven import certify_input_driven
from assocrate.certify.lds import certify_lds
from assocrate.certify.radius import certified_radius
from assocrate.core.patterns import random_patterns
from assocrate.stability import lyapunov_certificate

from ..reference import REFERENCE_SIGMOID, design_quietly
from .helpers import low_gain


@pytest.fixture(scope="module")
def small_network():
    """N = 20 random patterns in 5 row types (counts 10, 2, 4, 2, 2)."""
    return design_quietly(random_patterns(20, 3, 0.3, seed=4), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="module")
def reference_radius(equal_overlap_network):
    return certified_radius(equal_overlap_network, 0, method="metzler")


@pytest.fixture(scope="module")
def certificates(equal_overlap_network):
    """One honest certificate of every kind, with the network it is about (the low-gain W for lds/contraction)."""
    net = equal_overlap_network
    low = low_gain(net)
    cue = 1.0 * (2.0 * net.patterns[:, 1] - 1.0)
    return {
        "radius": (certified_radius(net, 0, method="metzler").certificate, net),
        "interval": (certified_radius(net, 3).certificate, net),
        "perron": (certified_radius(net, 1, weights="perron", method="metzler").certificate, net),
        "sector": (certified_radius(net, 2, method="lmi").certificate, net),
        "input": (certify_input_driven(net, cue, memory=1), net),
        "input-contraction": (certify_input_driven(net, cue, memory=1, method="contraction"), net),
        "lds": (certify_lds(low), low),
        "contraction": (certify_contraction(low), low),
        "contraction-current": (certify_contraction(low, form="current"), low),
        "lyapunov": (lyapunov_certificate(net, 0), net),
    }
