"""Units in interchangeable classes: the partition, W on the classes, exact products, the network digest."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg

from assocrate.certify._reduction import input_vector, network_digest, partition, reduce_network
from assocrate.core.patterns import random_patterns

from ..reference import REFERENCE_SIGMOID, design_quietly


def test_type_reduction_is_exact_against_the_full_matrix(equal_overlap_network):
    net = equal_overlap_network
    red = reduce_network(net)
    rng = np.random.default_rng(2)
    w = [Fraction(int(x), 1024) for x in rng.integers(1, 1024, red.n_classes)]
    reduced = np.array([float(x) for x in red.abs_times_exact(w)])
    dense = np.abs(net.dense_weights()) @ red.part.expand(np.array([float(x) for x in w]))
    np.testing.assert_allclose(red.part.expand(reduced), dense, rtol=1e-13)


def test_exact_products_through_the_factors():
    net = design_quietly(random_patterns(30, 4, 0.3, seed=5), REFERENCE_SIGMOID, -0.3, 0.95)
    red = reduce_network(net)
    W = red.W_exact
    exact_sign = [[(W[s, t] > 0) - (W[s, t] < 0) for t in range(red.n_classes)] for s in range(red.n_classes)]
    sign = red.sign_exact
    assert [[int(sign[s, t]) for t in range(red.n_classes)] for s in range(red.n_classes)] == exact_sign
    # every entry undecided in floating point: the exact fallback gives the same signs
    blind = dataclasses.replace(red)
    blind.__dict__["W_hat"] = np.zeros_like(red.W_hat)  # the cached float W_hat, as if every entry were undecided
    assert blind.sign_exact == sign
    y = [Fraction(int(v), 7) for v in np.random.default_rng(6).integers(-9, 9, red.n_classes)]
    n = red.counts_exact
    plain = [sum(Fraction(int(W[s, t].p), int(W[s, t].q)) * n[t] * y[t] for t in range(len(n))) for s in range(len(n))]
    absolute = [sum(abs(Fraction(int(W[s, t].p), int(W[s, t].q))) * n[t] * y[t] for t in range(len(n))) for s in range(len(n))]
    assert red.times_exact(y) == plain
    assert red.abs_times_exact(y) == absolute


def test_reduced_spectrum_helper_is_consistent(small_network):
    red = reduce_network(small_network)
    W_tilde = red.W_tilde
    dense = np.linalg.eigvalsh(small_network.dense_weights())
    reduced = scipy.linalg.eigvalsh(W_tilde)
    np.testing.assert_allclose(np.sort(reduced)[-3:], np.sort(dense)[-3:], atol=1e-12)


def test_partition_by_row_types_and_by_input(equal_overlap_network):
    net = equal_overlap_network
    types = partition(net)
    assert types.n_classes == 7 and types.n_units == 1000 and types.counts.sum() == 1000
    assert np.array_equal(types.index, np.asarray(net.row_types.index))
    u = np.zeros(net.n_units)
    u[:3] = 0.5  # splits the row types of the first three units
    split = partition(net, u=u)
    assert split.n_classes > types.n_classes
    assert np.all(u[split.representatives][split.index] == u)  # u is constant on every class
    full = partition(net, reduction="full")
    assert full.n_classes == 1000 and np.array_equal(full.index, np.arange(1000))
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        partition(net, reduction="half")


def test_input_vector_uses_the_one_input_normaliser():
    assert input_vector(None, 3) is None
    assert input_vector(0.5, 3).tolist() == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"`u` must be None, a scalar or have shape \(3,\)"):
        input_vector(np.zeros(4), 3)
    with pytest.raises(ValueError, match="`u` must be finite"):
        input_vector([0.0, np.nan, 1.0], 3)
    with pytest.raises(TypeError, match="`u` must be a real number or a real array"):
        input_vector(["a", "b", "c"], 3)


def test_the_digest_names_the_network(equal_overlap_network, positive_gamma_network):
    net = equal_overlap_network
    assert network_digest(net) == network_digest(dataclasses.replace(net))
    assert network_digest(net) != network_digest(positive_gamma_network)
    assert network_digest(net) != network_digest(dataclasses.replace(net, tau=2.0))
