"""Spiking realizations of a projection-rule design (W = L C R^T, not symmetric for unequal
activities; theory.md §6b): the latent traces read ``[R, 1]^T s`` and feed ``[L, 1] C``."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.dale import dale_realization
from assocrate.retrieval.readout import readout_matrix
from assocrate.spiking import simulate_spiking, spiking_realization
from assocrate.spiking.result import latent_features

from ..reference import REFERENCE_SIGMOID


def _networks(nonsymmetric):
    symmetric = aa.design(aa.equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    betteti = aa.design(aa.equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    return [nonsymmetric, symmetric, betteti]


def test_latent_traces_give_the_features_and_the_currents(nonsymmetric_network):
    """For every rule: the features (overlaps, mean rate) from the P + 1 latent traces
    ``z = R1^T s`` equal ``[Xi/|xi|, 1/N]^T s`` computed densely, and ``L1 diag(c) z`` is ``W s``
    (no Dale) or ``W_EE s`` (Dale), to 1e-12 at random rates s in [0, 1] (O(1) sums of P + 1 terms)."""
    rng = np.random.default_rng(0)
    for network in _networks(nonsymmetric_network):
        L1, _, R1 = network.augmented_factors
        s = rng.random((network.n_units, 3))
        z = R1.T @ s
        np.testing.assert_allclose(latent_features(network, z), readout_matrix(network).T @ s, rtol=0, atol=1e-12)
        sn = spiking_realization(network, seed=0)
        np.testing.assert_allclose(L1 @ (sn.c[:, None] * z), network.dense_weights() @ s, rtol=0, atol=1e-12)
        dale = dale_realization(network)
        dale_sn = spiking_realization(dale, seed=0)
        np.testing.assert_allclose(L1 @ (dale_sn.c[:, None] * z), dale.dense_blocks().EE @ s, rtol=0, atol=1e-12)
    sn = spiking_realization(nonsymmetric_network)
    assert "7 latent traces z = [R, 1]^T s -> currents [L, 1] C z" in sn.summary()


@pytest.mark.parametrize("with_dale", [False, True])
def test_brian2_model_wiring_against_dense_w(nonsymmetric_network, brian2, with_dale):
    """The Brian2 model as built: the latent traces start at ``R1^T x0`` and every neuron's current
    at t = 0 is ``(W x0)_i`` (for Dale's law ``W_EE x0 - w_EI mean(x0)``, the same thing) to 1e-12."""
    from assocrate.spiking._brian import brian2_quietly
    from assocrate.spiking.model import build_model

    network = nonsymmetric_network
    target = dale_realization(network, n_inhibitory=2, tau_inhibitory=0.5) if with_dale else network
    sn = spiking_realization(target, neurons_per_unit=2, seed=0)
    x0 = np.random.default_rng(1).random((network.n_units, 2))
    with brian2_quietly():
        previous = brian2.prefs.codegen.target
        brian2.prefs.codegen.target = "numpy"
        try:
            _, group, latent, *_ = build_model(brian2, sn, x0, 1e-4, 1e-3, np.random.default_rng(2))
            currents = np.asarray(group.h[:]).reshape(2, network.n_units, 2)  # (copy, unit, neuron)
            traces = np.array([np.asarray(getattr(latent, f"z{k}")[:]) for k in range(network.n_patterns + 1)])
        finally:
            brian2.prefs.codegen.target = previous
    np.testing.assert_allclose(traces, network.augmented_factors[2].T @ x0, rtol=0, atol=1e-12)
    expected = network.dense_weights() @ x0  # (N, B)
    for neuron in range(2):
        np.testing.assert_allclose(currents[:, :, neuron], expected.T, rtol=0, atol=1e-12)


def test_spiking_projection_network_retrieves_digits(brian2):
    """The digit prototypes (N = 64, P = 10, activities 17..21 units, W not symmetric): Poisson
    neurons (20 per unit, r_max = 100 Hz) from every prototype with 10 % of its pixels flipped
    (seeded) end at the cued digit; measured 10 of 10, asserted >= 9 of 10 (Poisson noise of
    ~1/sqrt(r_max tau n) = 22 % per unit trace)."""
    network = aa.design(aa.digit_prototypes(), REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    assert not network.is_symmetric
    sn = spiking_realization(network, neurons_per_unit=20, r_max=100.0, seed=0)
    result = simulate_spiking(sn, aa.make_cues(network, "flip", 0.1, trials=1, seed=0), 5.0, seed=1)
    assert result.success_rate >= 0.9
    assert np.nanmean(result.overlap_cued) == pytest.approx(1.0, abs=0.05)
