"""solve_ivp with a steady-state event (assocrate.dynamics.ode, theory.md §2)."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.dynamics import SimulationStatus, pulse, simulate, vector_field

from .starts import cue_starts

# --- solve_ivp --------------------------------------------------------------------------------


def test_simulate_stops_at_steady_state(equal_overlap_network, no_dense):
    net = equal_overlap_network
    target = net.memory_rates()[:, 2]
    result = simulate(net, 0.7 * target, (0.0, 100.0), steady_tol=1e-6)
    assert result.status is SimulationStatus.STEADY and result.success
    assert result.t_steady == pytest.approx(result.t[-1])
    assert result.t_steady < 30.0
    assert np.max(np.abs(vector_field(net, result.final))) < 1.1e-6
    assert np.max(np.abs(result.final - target)) < 1e-5
    assert "steady" in result.summary() and "STEADY" in repr(result)


def test_simulate_start_already_steady(equal_overlap_network):
    result = simulate(equal_overlap_network, equal_overlap_network.memory_rates()[:, 0], (0.0, 5.0))
    assert result.status is SimulationStatus.STEADY and result.t.size == 1 and result.t_steady == 0.0


def test_simulate_without_event_runs_to_the_end(small_network):
    result = simulate(small_network, cue_starts(small_network, 1)[:, 0], (0.0, 3.0), steady_tol=None)
    assert result.status is SimulationStatus.END_OF_SPAN and result.t[-1] == pytest.approx(3.0)
    assert result.t_steady is None


def test_simulate_batch_and_dense_output(small_network):
    x0 = cue_starts(small_network, 3)
    result = simulate(small_network, x0, (0.0, 4.0), steady_tol=None, dense_output=True)
    assert result.states.shape[1:] == (200, 3)
    np.testing.assert_allclose(result.at(0.0), x0, atol=1e-12)
    np.testing.assert_allclose(result.at(result.t[5]), result.states[5], atol=1e-9)
    assert result.at(np.array([1.0, 2.0])).shape == (2, 200, 3)
    single = simulate(small_network, x0[:, 1], (0.0, 4.0), steady_tol=None)
    np.testing.assert_allclose(single.final, result.final[:, 1], atol=1e-6)
    with pytest.raises(ValueError, match="dense output"):
        single.at(1.0)


def test_simulate_current_form_agrees_with_rate_form(small_network):
    """The rate trajectory induces the current trajectory h(t) = W x(t) (u = 0, theory.md §2)."""
    x0 = cue_starts(small_network, 1)[:, 0]
    rate = simulate(small_network, x0, (0.0, 6.0), steady_tol=None)
    current = simulate(small_network, small_network.weights_matvec(x0), (0.0, 6.0), form="current", steady_tol=None)
    np.testing.assert_allclose(current.final, small_network.weights_matvec(rate.final), atol=1e-6)


def test_simulate_pulse_is_integrated_piecewise(random_network):
    """A short input pulse from the quiescent state retrieves the memory; the solver never skips it."""
    net = random_network
    quiescent = np.full(net.n_units, 0.00286)
    u = pulse(0.3 * net.patterns[:, 4], 1.0, 1.5)
    result = simulate(net, quiescent, (0.0, 40.0), u=u)
    assert result.status is SimulationStatus.STEADY
    assert np.any(np.isclose(result.t, 1.0)) and np.any(np.isclose(result.t, 1.5))
    overlap = result.final @ net.patterns / net.patterns.sum(axis=0)
    assert overlap[4] > 0.99 and np.delete(overlap, 4).max() < 0.35
    free = simulate(net, quiescent, (0.0, 40.0))
    assert free.final.max() < 0.01


def test_simulate_rejects_bad_input(small_network):
    x0 = np.zeros(200)
    with pytest.raises(ValueError, match="t1 > t0"):
        simulate(small_network, x0, (1.0, 0.0))
    with pytest.raises(ValueError, match="`steady_tol` must be > 0"):
        simulate(small_network, x0, (0.0, 1.0), steady_tol=-1.0)
