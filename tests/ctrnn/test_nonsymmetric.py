"""assocrate.ctrnn on a non-symmetric W (projection rule, unequal activities): the exported factors
L, R, the complex map spectra against dense eigenvalues, and retrieval by the map (theory.md §6b)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.ctrnn import discrete_stability, discretize, export_ctrnn, run_discrete
from assocrate.dale import dale_realization
from assocrate.stability import general_local_stability

from .dense import dense_map_jacobian


@pytest.fixture(scope="module")
def network(nonsymmetric_network):
    """N = 200, P = 6, activities 10..40 %: W = L C R^T is not symmetric (tests/conftest.py)."""
    return nonsymmetric_network


def _load(path):
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def test_export_writes_l_and_r(network, tmp_path):
    """A non-symmetric W is written as L, R, c (no U) with W_hid = L diag(c) R^T (1e-15: the same
    product), and the Dale part as L_EE, R_EE, c_EE with W_EE = L_EE diag(c_EE) R_EE^T = the dense
    block (1e-15); the metadata names the layout."""
    dale = dale_realization(network, n_inhibitory=2)
    data = _load(export_ctrnn(discretize(network, 0.2), tmp_path / "ctrnn.npz", dense=True, dale=dale))
    assert "U" not in data and "U_EE" not in data
    W = network.dense_weights()
    np.testing.assert_allclose(data["L"] @ np.diag(data["c"]) @ data["R"].T, W, atol=1e-15)
    np.testing.assert_allclose(data["W_hid"], W, rtol=0, atol=1e-15)
    EE = data["L_EE"] @ np.diag(data["c_EE"]) @ data["R_EE"].T
    np.testing.assert_allclose(EE, dale.dense_blocks().EE, atol=1e-15)
    mask = data["ei_mask"]
    assert np.all(data["W_hid_dale"] * mask[None, :] >= -dale.signs().tolerance)
    metadata = json.loads(str(data["metadata"]))
    assert metadata["weights"].startswith("W_hid = L diag(c) R^T")
    assert "L_EE diag(c_EE) R_EE^T" in metadata["dale"]["update"]
    assert metadata["network"]["rule"] == "projection" and metadata["network"]["symmetric"] is False


def test_export_of_symmetric_projection_keeps_u(tmp_path):
    """Equal activities: W is symmetric, written as U as for the betteti rule, and the Dale factor as U_EE."""
    from assocrate.core.design import design
    from assocrate.core.patterns import equal_overlap_patterns

    from ..reference import REFERENCE_SIGMOID

    net = design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    dale = dale_realization(net)
    data = _load(export_ctrnn(discretize(net, 0.2), tmp_path / "ctrnn.npz", dale=dale))
    assert "L" not in data and "R" not in data
    np.testing.assert_allclose(data["U"] @ np.diag(data["c"]) @ data["U"].T, net.dense_weights(), atol=1e-15)
    np.testing.assert_allclose(data["U_EE"] @ np.diag(data["c_EE"]) @ data["U_EE"].T, dale.dense_blocks().EE,
                               atol=1e-15)


@pytest.mark.parametrize("form", ["current", "rate"])
@pytest.mark.parametrize("dt", [0.5, 1.9])
def test_complex_map_spectrum_equals_dense(network, form, dt):
    """Every eigenvalue ``1 + gamma mu`` of the map at a memory equals numpy.linalg.eigvals of the
    dense N x N map Jacobian (1e-10, sorted by real then imaginary part: well separated reduced
    eigenvalues plus the bulk 1 - gamma); the spectral radius is max |1 + gamma mu| and the verdict
    the continuous one."""
    d = discretize(network, dt, form=form)
    result = discrete_stability(d)
    local = general_local_stability(network)
    assert result.uniform == () and np.isnan(result.dt_quiescent)
    for mu in (0, 5):
        dense = np.linalg.eigvals(dense_map_jacobian(network, network.memory_currents()[:, mu], d.gamma, form))
        reduced = result.memories[mu].map_eigenvalues(d.gamma)
        assert reduced.size == network.n_units
        order = lambda v: v[np.lexsort((np.round(v.imag, 8), np.round(v.real, 8)))]  # noqa: E731
        np.testing.assert_allclose(order(reduced), order(dense), rtol=0, atol=1e-10)
        assert result.memories[mu].spectral_radius == pytest.approx(np.max(np.abs(dense)), abs=1e-10)
        assert result.memories[mu].continuous_verdict == local.memories[mu].verdict.value
    record = result.to_record()
    assert record["memories"][0]["mu_max_abs_imag"] >= 0.0 and record["uniform_states"] == []
    assert "min Re mu" in result.summary()


def test_dt_max_separates_stable_and_unstable_steps(network):
    """dt_max = tau min (-2 Re mu / |mu|^2) over the complex mu: just below it every memory's map has
    spectral radius < 1, just above it some memory's map has radius > 1 (1e-6 relative steps)."""
    dt_max = discrete_stability(discretize(network, 0.1)).dt_max
    assert 0 < dt_max < np.inf
    below = discrete_stability(discretize(network, dt_max * (1 - 1e-6)))
    above = discrete_stability(discretize(network, dt_max * (1 + 1e-6)))
    assert below.n_stable == network.n_patterns and np.all(below.spectral_radii < 1)
    assert np.max(above.spectral_radii) > 1 and above.n_stable < network.n_patterns


def test_map_retrieves_from_flipped_cues(network):
    """The rate-form map at dt = 0.2 tau from cues with 10 % of the units flipped (seeded) ends at
    the cued memory: the final overlaps' diagonal is the designed overlap phi(b) to 1e-6."""
    rng = np.random.default_rng(11)
    d = discretize(network, 0.2, form="rate")
    phi_a, phi_b = (float(network.activation.phi(v)) for v in (network.a, network.b))
    flipped = network.patterns ^ (rng.random(network.patterns.shape) < 0.1)
    run = run_discrete(d, phi_a + (phi_b - phi_a) * flipped, steps=400)
    final = run.final_states
    assert np.abs(final - network.memory_rates()).max() <= 1e-6
