"""What the basin certificates share: the centre, the residual bound, the result and its retrieval test."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from assocrate.certify._rational import fraction_vector
from assocrate.certify._reduction import reduce_network
from assocrate.certify.basin import class_equilibrium, largest, memory_center, residual_bound
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns

from ..reference import REFERENCE_SIGMOID


def test_center_is_the_equilibrium(equal_overlap_network, random_network):
    for net in (equal_overlap_network, random_network):
        red = reduce_network(net)
        rows = net.patterns[red.part.representatives, 0]
        h = class_equilibrium(red, net.a + (net.b - net.a) * rows)
        x = net.activation.phi(red.part.expand(h))
        assert np.max(np.abs(net.weights_matvec(x) - red.part.expand(h))) < 1e-12


def test_rate_cues_in_the_certified_box_retrieve(equal_overlap_network, reference_radius):
    from assocrate.retrieval import cue_rates, delete_active

    net = equal_overlap_network
    cues = np.column_stack(
        [cue_rates(net, delete_active(net.patterns[:, 0], f, seed=s)) for f in (0.1, 0.3, 0.4, 0.6) for s in range(5)]
    )
    provable = reference_radius.retrieves(net, cues)
    assert provable[:5].all() and not provable[-5:].any()
    X = cues
    for _ in range(80):  # rate-form Euler
        X = X + 0.5 * (net.activation.phi(net.weights_matvec(X)) - X)
    memory = net.memory_rates()[:, 0]
    retrieved = np.max(np.abs(X - memory[:, None]), axis=0) < 1e-6
    assert np.all(retrieved[provable])
    with pytest.raises(ValueError, match="not the network this radius was certified for"):
        reference_radius.retrieves(design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95), cues[:100])


def test_residual_bound_covers_the_centres_residual(equal_overlap_network):
    net = equal_overlap_network
    red = reduce_network(net)
    center, nominal = memory_center(net, red, 0)
    R = residual_bound(red, fraction_vector(center), None)
    x = net.activation.phi(red.part.expand(center))
    residual = np.abs(net.weights_matvec(x) - red.part.expand(center))
    assert np.all(residual <= red.part.expand(np.array([float(r) for r in R])))
    assert all(r >= 0 and r.denominator <= 2**40 for r in R) and max(R) < Fraction(1, 10**9)
    assert nominal.shape == center.shape


def test_largest_finds_the_threshold_by_doubling_and_bisection():
    assert largest(lambda x: x <= 0.3, 1.0) == pytest.approx(0.3, abs=1e-12)
    assert largest(lambda x: x <= 5.0, 1.0) == pytest.approx(5.0, abs=1e-9)
    assert largest(lambda x: False, 1.0) == 0.0
