"""One cell of the capacity experiment and the pooling of cells (assocrate.retrieval.capacity).

The experiment itself, serial and on dask.distributed, is tested in tests/sweeps/test_capacity.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.activations import Sigmoid
from assocrate.core.patterns import random_patterns
from assocrate.retrieval.capacity import RATE_COUNTS, CapacityCell, capacity_cell, capacity_rates, capacity_setup

from ..reference import REFERENCE_SIGMOID, design_quietly

SETUP = dict(n=200, loads=[0.02, 0.1], q=0.2, activation=Sigmoid(4.8, 0.2), levels=(-0.3, 0.95), trials=2, seed=3)


def setup_of(**changes):
    arguments = {**SETUP, **changes}
    return capacity_setup(
        arguments.pop("n"), arguments.pop("loads"), arguments.pop("q"), arguments.pop("activation"),
        arguments.pop("levels"), arguments.pop("trials"), arguments.pop("seed"),
        **{"cue": "delete:0.4", "t_max": 5.0, "dt": 0.01, "tol": 0.15, **arguments},
    )


def test_capacity_stability_uses_the_local_stability_verdict(monkeypatch):
    """Regression: the capacity check decided "stable" with a bare max_eigenvalue < 0, so it could
    disagree with assocrate.stability.local_stability inside the undecided band."""
    import assocrate.stability.spectra as spectra
    from assocrate.retrieval import DEFAULT_TOL
    from assocrate.retrieval.capacity import _assess_memories
    from assocrate.stability import Verdict, local_stability

    network = design_quietly(random_patterns(300, 5, 0.2, seed=7), REFERENCE_SIGMOID, -0.3, 0.95)
    check = _assess_memories(network, DEFAULT_TOL)
    verdicts = local_stability(network).verdicts
    assert check.equilibrium.all()
    assert list(check.stable) == [v is Verdict.STABLE for v in verdicts] == [True] * 5
    np.testing.assert_allclose(check.max_eigenvalue, local_stability(network).max_eigenvalues, atol=1e-9)
    # widen the undecided band past every eigenvalue: both modules must now refuse "stable"
    monkeypatch.setattr(spectra, "VERDICT_RTOL", 10.0)
    assert set(local_stability(network).verdicts) == {Verdict.UNDECIDED}
    assert not _assess_memories(network, DEFAULT_TOL).stable.any()


def test_capacity_setup_derives_the_pattern_counts():
    setup = setup_of(loads=[0.001, 0.02, 0.1])
    assert setup.n_patterns.tolist() == [1, 4, 20]
    assert (setup.kind, setup.level, setup.duration) == ("delete", 0.4, 1.0)
    assert len(setup.seeds(3)) == 6 and not setup.loads.flags.writeable


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"n": 1}, ValueError, "`n` must be >= 2"),
        ({"loads": [[0.1]]}, ValueError, "`loads` must be"),
        ({"q": 1.0}, ValueError, "`q` must be in"),
        ({"activation": "sigmoid"}, TypeError, "`activation` must be an Activation"),
        ({"levels": (0.1,)}, ValueError, "`levels` must be"),
        ({"trials": 0}, ValueError, "`trials` must be >= 1"),
        ({"cue": "erase:1"}, ValueError, "`cue` must be"),
        ({"tol": 0.5}, ValueError, "`tol` must be < 0.5"),
    ],
)
def test_capacity_setup_names_bad_arguments(changes, error, message):
    with pytest.raises(error, match=message):
        setup_of(**changes)


def test_a_cell_is_a_pure_function_of_its_seed():
    setup = setup_of()
    seeds = setup.seeds(3)
    cell = capacity_cell(setup, 4, seeds[0])
    assert isinstance(cell, CapacityCell) and cell == capacity_cell(setup, 4, seeds[0])
    assert 0 <= cell.success <= min(cell.stable, cell.retrieved) and cell.stable <= cell.equilibria <= 4
    assert cell.eigenvalue_count == cell.equilibria


def test_capacity_rates_pool_only_finished_cells():
    n_patterns = np.array([4, 20])
    counts = np.array([[[4, 4, 4, 4], [3, 2, 4, 2]], [[10, 5, 6, 5], [-1, -1, -1, -1]]])
    eigen_sum = np.array([[-2.0, -1.0], [-3.0, np.nan]])
    eigen_count = np.array([[4, 3], [10, -1]])
    done = np.array([[True, True], [True, False]])
    rates, mean_eigen = capacity_rates(n_patterns, counts, eigen_sum, eigen_count, done)
    np.testing.assert_array_equal(rates, [[7 / 8, 6 / 8, 8 / 8, 6 / 8], [10 / 20, 5 / 20, 6 / 20, 5 / 20]])
    np.testing.assert_array_equal(mean_eigen, [-3.0 / 7, -3.0 / 10])
    none = capacity_rates(n_patterns, counts, eigen_sum, eigen_count, np.zeros((2, 2), dtype=bool))
    assert np.all(np.isnan(none[0])) and np.all(np.isnan(none[1]))
    assert len(RATE_COUNTS) == counts.shape[-1]


def test_the_segmented_relaxation_finds_the_equilibria_one_long_relaxation_finds():
    """Beyond capacity: relaxing the memories Newton missed in segments (dropping those that left) agrees
    with one relaxation of the whole t_relax followed by Newton from where each memory still is."""
    from assocrate.core.equilibria import refine_equilibrium
    from assocrate.dynamics import euler_maruyama
    from assocrate.retrieval import DEFAULT_TOL
    from assocrate.retrieval.capacity import (
        _NEWTON_ITERATIONS,
        _RELAX_DT,
        _RELAX_DTYPE,
        _RELAX_STEADY,
        _assess_memories,
    )
    from assocrate.retrieval.readout import Outcome, classify_features, ideal_states, readout_matrix

    network = design_quietly(random_patterns(400, 60, 0.2, seed=3), REFERENCE_SIGMOID, -0.3, 0.95)
    readout, ideals = readout_matrix(network), ideal_states(network)

    def is_memory(mu, x):
        return classify_features(readout.T @ x[:, None], ideals, np.array([mu]), DEFAULT_TOL)[0][0] == Outcome.CUED.value

    def found(mu, start):
        refined = refine_equilibrium(network, start, max_iter=_NEWTON_ITERATIONS, give_up_early=True)
        return refined.success and is_memory(mu, refined.x)

    rates = network.memory_rates()
    expected = np.array([found(mu, rates[:, mu]) for mu in range(network.n_patterns)])
    failed = np.flatnonzero(~expected)
    assert failed.size > 0  # the case exercises the relaxation
    relaxed = euler_maruyama(network, rates[:, failed], _RELAX_DT, round(20.0 / _RELAX_DT), sigma=0.0,
                             steady_tol=_RELAX_STEADY, dtype=_RELAX_DTYPE).final.astype(float)
    for j, mu in enumerate(failed):
        expected[mu] = is_memory(mu, relaxed[:, j]) and found(mu, relaxed[:, j])
    np.testing.assert_array_equal(_assess_memories(network, DEFAULT_TOL).equilibrium, expected)


# Counts of seeded cells (CLI defaults: cue delete:0.4, t_max 10, dt 0.01, tol DEFAULT_TOL) computed
# before the Gram matrices of Newton's steps became a symmetric rank-k update: below capacity, near
# it and beyond it (where the relaxation re-seeds Newton). (n, seed, loads, trials, cell index,
# (equilibria, stable, retrieved, success), eigenvalue_sum). They held through the speed-ups since:
# float32-based Newton steps, giving up out of reach, the relaxation in float32 steps of 0.05. The
# N = 800 cell has a marginal 15th memory that a relaxation in float64 steps of 0.025 or 0.05 lands
# near enough for Newton (0.01, 0.02, 0.04 and the float32 steps of 0.05 do not).
PINNED_CELLS = [
    (400, 1, [0.05, 0.2], 2, 0, (20, 20, 20, 20), -18.75433950363463),
    (400, 1, [0.05, 0.2], 2, 2, (1, 1, 1, 1), -0.15107992621011124),
    (400, 1, [0.05, 0.2], 2, 3, (1, 1, 1, 1), -0.3427220322088327),
    (600, 2, [0.03, 0.09, 0.13], 1, 1, (42, 42, 42, 42), -22.111931285391773),
    (600, 2, [0.03, 0.09, 0.13], 1, 2, (8, 8, 8, 8), -2.7406480028555453),
    (800, 3, [0.15], 1, 0, (14, 14, 14, 14), -4.803844109997956),
]


@pytest.mark.parametrize("n, seed, loads, trials, index, counts, eigenvalue_sum", PINNED_CELLS)
def test_seeded_cells_keep_their_counts(n, seed, loads, trials, index, counts, eigenvalue_sum):
    """Speed-ups of the cell (Newton's Gram matrices, the relaxation) must not change what it counts."""
    from assocrate.retrieval import DEFAULT_TOL

    setup = setup_of(n=n, loads=loads, trials=trials, seed=seed, t_max=10.0, tol=DEFAULT_TOL)
    cell = capacity_cell(setup, int(setup.n_patterns[index // trials]), setup.seeds(seed)[index])
    assert (cell.equilibria, cell.stable, cell.retrieved, cell.success) == counts
    assert cell.eigenvalue_count == counts[0]
    # the sum of largest eigenvalues at the refined equilibria moves only by rounding (another
    # summation order in the Gram matrices): 1e-9 relative is far above it and far below any
    # change of an equilibrium
    assert cell.eigenvalue_sum == pytest.approx(eigenvalue_sum, rel=1e-9)
