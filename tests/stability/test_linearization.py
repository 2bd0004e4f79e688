"""stability._linearization: the memory points and their Gram matrices ``U^T D U`` against dense sums over units."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.equilibria import NewtonStatus, refine_equilibrium
from assocrate.core.lowrank import reduced_eigenvalues
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.stability._linearization import (
    designed_residuals,
    ideal_grams,
    ideal_residuals,
    is_exact_design,
    memory_points,
    memory_rate,
    point_gram,
    type_rows,
)

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly

NETWORKS = {
    "equal-overlap": lambda: design_quietly(equal_overlap_patterns(500, 0.2), REFERENCE_SIGMOID, -0.3, 0.95),
    "equal-overlap q=0.3 (zero rows)": lambda: design_quietly(equal_overlap_patterns(500, 0.3), REFERENCE_SIGMOID, -0.3, 0.95),
    "random (approximate)": lambda: design_quietly(random_patterns(300, 7, 0.2, seed=1), REFERENCE_SIGMOID, -0.3, 0.95),
    "correlated": lambda: design_quietly(correlated_patterns(400, 5, 0.2, 0.4, seed=2), REFERENCE_SIGMOID, -0.3, 0.95),
    "tanh": lambda: design_quietly(equal_overlap_patterns(500, 0.2), REFERENCE_TANH, -0.3, 0.95),
}


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def network(request):
    return NETWORKS[request.param]()


def dense_gram(network, slopes):
    """``U^T D U`` summed over every unit."""
    return network.U.T @ (slopes[:, None] * network.U)


def designed_slopes(network, mu):
    return network.activation.dphi(network.a + (network.b - network.a) * network.patterns[:, mu])


def test_ideal_grams_equal_point_grams_and_dense_sums(network):
    grams = ideal_grams(network)
    assert grams.shape == (network.n_patterns, network.n_patterns + 1, network.n_patterns + 1)
    points = memory_points(network, list(range(network.n_patterns)), "ideal")
    scale = float(np.abs(grams).max())
    for mu, point in enumerate(points):
        np.testing.assert_allclose(grams[mu], point_gram(point), rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(grams[mu], dense_gram(network, designed_slopes(network, mu)), rtol=0, atol=1e-12 * scale)
        np.testing.assert_array_equal(grams[mu], grams[mu].T)


def test_gram_gives_the_spectrum_of_the_dense_symmetrised_jacobian(network):
    """The reduced eigenvalues of ``C U^T D U`` are the nonzero eigenvalues of ``D^1/2 W D^1/2``."""
    mu = network.n_patterns - 1
    point = memory_points(network, [mu], "ideal")[0]
    reduced = reduced_eigenvalues(point_gram(point), network.c)
    root = np.sqrt(designed_slopes(network, mu))
    dense = np.linalg.eigvalsh(root[:, None] * network.dense_weights() * root[None, :])
    merged = np.sort(np.concatenate([reduced, np.zeros(network.n_units - reduced.size)]))
    np.testing.assert_allclose(merged, dense, rtol=0, atol=1e-10)


def test_type_rows_stand_for_every_unit(network):
    rows, counts, xi = type_rows(network)
    assert counts.sum() == network.n_units and rows.shape == (counts.size, network.n_patterns + 1)
    if counts.size < network.n_units:
        index = network.row_types.index
        np.testing.assert_array_equal(rows[index], network.U)
        np.testing.assert_array_equal(xi[index], network.patterns)
    else:
        np.testing.assert_array_equal(rows, network.U)


def test_ideal_residuals_equal_the_dense_fixed_point_residual(network):
    rows, counts, xi = type_rows(network)
    residuals = ideal_residuals(network, rows, counts, xi)
    X = np.column_stack([memory_rate(network, mu) for mu in range(network.n_patterns)])
    np.testing.assert_array_equal(X, network.memory_rates())
    dense = np.abs(network.dense_weights() @ X - network.memory_currents()).max(axis=0)
    np.testing.assert_allclose(residuals, dense, rtol=0, atol=1e-12)
    assert is_exact_design(network) == network.is_exact
    if network.is_exact:
        assert residuals.max() < 1e-10


def test_memory_points_of_an_approximate_design():
    network = NETWORKS["random (approximate)"]()
    assert not is_exact_design(network)
    mu = 2
    ideal = memory_points(network, [mu], "ideal")[0]
    assert ideal.status == "designed memory (not refined)" and ideal.shift == 0.0
    assert ideal.residual > 1e-3  # the designed memory is not an equilibrium
    np.testing.assert_allclose(point_gram(ideal), dense_gram(network, designed_slopes(network, mu)), atol=1e-12)

    point = memory_points(network, [mu], "equilibrium")[0]
    result = refine_equilibrium(network, memory_rate(network, mu))
    assert point.status == NewtonStatus.CONVERGED.value == result.status.value
    assert point.residual == result.residual and point.residual < 1e-10
    assert point.shift == float(np.max(np.abs(result.x - memory_rate(network, mu)))) > 0
    slopes = network.activation.dphi(result.h)
    assert point.eta == float(slopes.max())
    np.testing.assert_allclose(point_gram(point), dense_gram(network, slopes), rtol=0, atol=1e-12 * float(network.n_units))


def test_memory_points_of_an_exact_design_are_not_refined():
    network = NETWORKS["equal-overlap"]()
    assert is_exact_design(network)
    for at in ("equilibrium", "ideal"):
        point = memory_points(network, [0], at)[0]
        assert point.status == "exact design" and point.shift == 0.0 and point.residual < 1e-10
        assert point.rows.shape[0] == network.row_types.n_types  # summed over row types, not units


def test_the_design_residuals_are_computed_once_per_network(network):
    """designed_residuals is ideal_residuals on every memory, memoised on the (immutable) network."""
    first = designed_residuals(network)
    np.testing.assert_array_equal(first, ideal_residuals(network, *type_rows(network)))
    assert designed_residuals(network) is first and not first.flags.writeable
    assert is_exact_design(network) is is_exact_design(network)
