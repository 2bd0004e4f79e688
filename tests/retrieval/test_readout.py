"""Overlaps and the classification of states (assocrate.retrieval.readout, theory.md §7)."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.equilibria import uniform_states
from assocrate.retrieval import OUTCOMES, Outcome, classify, ideal_overlaps, overlaps
from assocrate.retrieval.readout import check_tol, classify_features, ideal_states, readout_matrix


def test_overlaps_at_the_rescaled_memories(random_network):
    """m^mu = phi(b) exactly; the others (1 - r) phi(a) + r phi(b) ~ (1 - q) phi(a) + q phi(b)."""
    net = random_network
    phi_a, phi_b = (float(net.activation.phi(v)) for v in (net.a, net.b))
    m = overlaps(net.memory_rates(), net.patterns)
    np.testing.assert_allclose(np.diag(m), phi_b, rtol=1e-14)
    np.testing.assert_allclose(m, ideal_overlaps(net).T, atol=1e-14)
    off = m[~np.eye(14, dtype=bool)]
    assert abs(off.mean() - (0.8 * phi_a + 0.2 * phi_b)) < 0.01
    literal = overlaps(net.memory_rates(), net.patterns, q=0.2)  # x . xi / (N q)
    np.testing.assert_allclose(literal, net.patterns.T @ net.memory_rates() / 200.0)


def test_overlaps_reject_bad_shapes(random_network):
    with pytest.raises(ValueError, match="`X` must have shape"):
        overlaps(np.zeros(5), random_network.patterns)


def test_classify_ideal_states(random_network, positive_gamma_network):
    net = random_network
    quiescent = uniform_states(net)[0].rate
    X = np.column_stack([net.memory_rates()[:, :3], np.full(1000, quiescent), np.full(1000, 0.5),
                         0.5 * net.memory_rates()[:, 0]])
    result = classify(net, X, cued=[0, 0, -1, -1, -1, 0])
    assert result.labels.tolist() == ["cued memory", "other memory", "other memory", "quiescent", "none", "none"]
    assert result.memory.tolist() == [0, 1, 2, -1, -1, -1]
    assert result.counts()["other memory"] == 2 and "tol 0.15" in result.summary()
    all_on = uniform_states(positive_gamma_network)[-1]
    assert all_on.kind == "all-on"
    assert classify(positive_gamma_network, np.full(1000, all_on.rate)).labels.tolist() == ["all-on"]


def test_classify_rejects_bad_input(random_network):
    with pytest.raises(ValueError, match="`tol` must be < 0.5"):
        classify(random_network, np.zeros(1000), tol=0.6)
    with pytest.raises(ValueError, match="`cued` entries must be in"):
        classify(random_network, np.zeros(1000), cued=20)


def test_outcome_values_are_the_class_names():
    assert [o.value for o in Outcome] == ["cued memory", "other memory", "quiescent", "all-on", "none"]
    assert OUTCOMES == tuple(o.value for o in Outcome)


def test_features_of_a_batch_classify_like_classify(random_network):
    """classify_features on (T, P + 1, B) features labels every frame as classify labels its states."""
    net = random_network
    X = np.stack([net.memory_rates()[:, :4], 0.9 * net.memory_rates()[:, 4:8]])  # (2, N, 4)
    features = np.einsum("nk,tnb->tkb", readout_matrix(net), X)
    cued = np.array([0, 1, 5, 7])
    labels, memory, distance = classify_features(features, ideal_states(net), cued, 0.15)
    assert labels.shape == memory.shape == distance.shape == (2, 4)
    for t in range(2):
        single = classify(net, X[t], cued=cued)
        assert labels[t].tolist() == single.labels.tolist()
        np.testing.assert_array_equal(memory[t], single.memory)
        np.testing.assert_allclose(distance[t], single.distance, rtol=0, atol=1e-15)


@pytest.mark.parametrize("tol", [0.0, 0.5, -1.0])
def test_check_tol_names_the_argument(tol):
    with pytest.raises(ValueError, match="`tol` must be"):
        check_tol(tol)
