"""Vector fields, solve_ivp with a steady-state event, and batched Euler–Maruyama (DESIGN.md §2, §7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assocrate import dynamics
from assocrate.core.design import MemoryNetwork
from assocrate.core.patterns import random_patterns
from assocrate.dynamics import (
    EulerMaruyamaStatus,
    Pulses,
    SimulationStatus,
    euler_maruyama,
    pulse,
    simulate,
    vector_field,
)

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


@pytest.fixture(scope="module")
def small_network() -> MemoryNetwork:
    """N = 200 random patterns: small enough for dense W comparisons."""
    return design_quietly(random_patterns(200, 5, 0.2, seed=4), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)


@pytest.fixture()
def no_dense(monkeypatch):
    """Fail the test if anything forms W densely."""

    def refuse(self, *, force=False):
        raise AssertionError("dense W formed")

    monkeypatch.setattr(MemoryNetwork, "dense_weights", refuse)


def cue_starts(network: MemoryNetwork, n: int, seed: int = 0) -> np.ndarray:
    """Rates between the memories and the quiescent state: 60 % of each memory plus a little noise."""
    rng = np.random.default_rng(seed)
    return np.clip(0.6 * network.memory_rates()[:, :n] + 0.05 * rng.random((network.n_units, n)), 0, 1)


# --- vector fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH], ids=["sigmoid", "tanh"])
def test_vector_field_matches_dense_weights(activation):
    network = design_quietly(random_patterns(150, 4, 0.2, seed=1), activation, 0.5, 1.2, q=0.2, r=0.2)
    W = network.dense_weights()
    X = np.random.default_rng(0).random((150, 3))
    u = np.linspace(-0.1, 0.1, 150)
    expected_rate = -X + activation.phi(W @ X + u[:, None])
    expected_current = -X + W @ activation.phi(X) + u[:, None]
    np.testing.assert_allclose(vector_field(network, X, u=u), expected_rate, atol=1e-13)
    np.testing.assert_allclose(vector_field(network, X, u=u, form="current"), expected_current, atol=1e-13)


def test_memories_are_equilibria_of_both_forms(equal_overlap_network):
    net = equal_overlap_network
    assert np.max(np.abs(vector_field(net, net.memory_rates()))) < 1e-12
    assert np.max(np.abs(vector_field(net, net.memory_currents(), form="current"))) < 1e-12


def test_current_form_is_the_rate_form_seen_through_w(small_network):
    """With constant u, h = W x + u gives tau h' = W (tau x') (DESIGN.md §2)."""
    net = small_network
    x = cue_starts(net, 3)
    u = 0.05
    h = net.weights_matvec(x) + u
    np.testing.assert_allclose(
        vector_field(net, h, u=u, form="current"), net.weights_matvec(vector_field(net, x, u=u)), atol=1e-12
    )


def test_vector_field_float32_stays_float32(small_network):
    x = cue_starts(small_network, 4)
    f32 = vector_field(small_network, x.astype(np.float32))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, vector_field(small_network, x), atol=2e-5)


def test_vector_field_tau_scales(small_network):
    x = cue_starts(small_network, 2)
    slow = design_quietly(small_network.patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2, tau=2.0)
    np.testing.assert_allclose(vector_field(slow, x), 0.5 * vector_field(small_network, x), atol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros(7)}, "`X` must have shape (200,)"),
        ({"X": np.full(200, np.nan)}, "`X` must be finite"),
        ({"X": np.zeros(200), "form": "voltage"}, "`form` must be one of"),
        ({"X": np.zeros(200), "u": np.zeros(3)}, "`u` must be a scalar or have shape"),
    ],
)
def test_vector_field_rejects_bad_input(small_network, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        vector_field(small_network, **kwargs)


# --- inputs --------------------------------------------------------------------------------------


def test_pulses_piecewise_values():
    p = Pulses(edges=[0.0, 1.0, 2.0], values=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert p.n_pieces == 2
    np.testing.assert_array_equal(p.at(0.5), [1.0, 2.0])
    np.testing.assert_array_equal(p.at(1.0), [3.0, 4.0])
    np.testing.assert_array_equal(p.at(2.0), [0.0, 0.0])
    assert not p.values.flags.writeable
    assert "n_pieces=2" in repr(p)


@pytest.mark.parametrize(
    ("edges", "values", "message"),
    [
        ([0.0], [], "at least 2 times"),
        ([1.0, 0.0], [1.0], "strictly increasing"),
        ([0.0, 1.0], [1.0, 2.0], "one entry per piece"),
        ([0.0, 1.0], [np.nan], "finite"),
    ],
)
def test_pulses_reject_bad_input(edges, values, message):
    with pytest.raises(ValueError, match=message):
        Pulses(edges=edges, values=values)


def test_pulse_rejects_empty_interval():
    with pytest.raises(ValueError, match="`stop` must be > `start`"):
        pulse(1.0, 2.0, 2.0)


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
    """The rate trajectory induces the current trajectory h(t) = W x(t) (u = 0, DESIGN.md §2)."""
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


# --- Euler–Maruyama -------------------------------------------------------------------------


@pytest.mark.parametrize(("dt", "tolerance"), [(0.01, 2e-3), (0.001, 2e-4)])
def test_deterministic_euler_matches_solve_ivp(random_network, dt, tolerance, no_dense):
    """sigma = 0: first-order agreement with RK45 (error <= 2e-3 at dt = 0.01, ten times less at dt = 0.001)."""
    x0 = cue_starts(random_network, 3)
    reference = simulate(random_network, x0, (0.0, 10.0), steady_tol=None, dense_output=True)
    run = euler_maruyama(random_network, x0, dt, int(round(10.0 / dt)), sigma=0.0, record_every=int(round(1 / dt)))
    assert run.times.size == 11 and run.times[-1] == pytest.approx(10.0)
    error = np.max(np.abs(run.states - reference.at(run.times)))
    assert error < tolerance


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dt", [1e-2, 1e-4])
def test_noise_of_one_step_has_variance_sigma2_dt(small_network, dt, dtype):
    """x1 - x0 - f(x0) dt = sigma sqrt(dt) n: its variance is sigma^2 dt (2e5 samples: within 2 %)."""
    X0 = np.full((200, 1000), 0.5)
    sigma = 0.3
    run = euler_maruyama(small_network, X0, dt, 1, sigma=sigma, boundary="none", seed=7, dtype=dtype)
    increment = run.final - X0 - dt * vector_field(small_network, X0)
    assert increment.var() / (sigma**2 * dt) == pytest.approx(1.0, abs=0.02)
    assert abs(increment.mean()) < 4 * sigma * np.sqrt(dt / increment.size)


def test_same_seed_same_trajectories_and_threading_does_not_matter(small_network, monkeypatch):
    X0 = cue_starts(small_network, 4)
    kwargs = dict(sigma=0.2, seed=11, record_every=10)
    first = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    again = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    other = euler_maruyama(small_network, X0, 0.01, 50, **{**kwargs, "seed": 12})
    np.testing.assert_array_equal(first.states, again.states)
    assert not np.array_equal(first.final, other.final)
    assert first.seed == 11
    monkeypatch.setattr(dynamics, "_BLOCK_ENTRIES", 100)  # 8 row blocks, each with its own noise stream
    serial = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    monkeypatch.setattr(dynamics, "_THREAD_MIN_ENTRIES", 0)  # the same blocks in worker threads
    threaded = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    np.testing.assert_array_equal(threaded.final, serial.final)


@given(seed=st.integers(0, 2**32 - 1), sigma=st.floats(0.0, 1.0))
def test_reproducible_from_seed_property(small_network, seed, sigma):
    X0 = np.full((200, 2), 0.3)
    a = euler_maruyama(small_network, X0, 0.05, 3, sigma=sigma, seed=seed).final
    b = euler_maruyama(small_network, X0, 0.05, 3, sigma=sigma, seed=seed).final
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.0


def test_generator_seed_is_accepted(small_network):
    X0 = np.full((200, 2), 0.3)
    a = euler_maruyama(small_network, X0, 0.01, 5, sigma=0.1, seed=np.random.default_rng(3)).final
    b = euler_maruyama(small_network, X0, 0.01, 5, sigma=0.1, seed=np.random.default_rng(3)).final
    np.testing.assert_array_equal(a, b)


@given(values=st.lists(st.floats(-3.0, 4.0), min_size=1, max_size=50))
def test_reflection_folds_into_unit_interval(values):
    x = np.array(values)
    folded = x.copy()
    dynamics._reflect(folded)
    expected = 1.0 - np.abs(1.0 - np.mod(x, 2.0))
    np.testing.assert_allclose(folded, expected, atol=1e-12)
    assert folded.min() >= 0.0 and folded.max() <= 1.0


@pytest.mark.parametrize("boundary", ["reflect", "clip", "none"])
def test_boundaries(small_network, boundary):
    X0 = np.full((200, 8), 0.02)
    run = euler_maruyama(small_network, X0, 0.01, 20, sigma=1.0, seed=0, boundary=boundary)
    inside = run.final.min() >= 0.0 and run.final.max() <= 1.0
    assert inside == (boundary != "none")


def test_float32_matches_float64(random_network):
    """Deterministic runs agree to float32 round-off (the noise streams of the two dtypes differ)."""
    x0 = cue_starts(random_network, 4)
    run64 = euler_maruyama(random_network, x0, 0.01, 300, sigma=0.0)
    run32 = euler_maruyama(random_network, x0, 0.01, 300, sigma=0.0, dtype=np.float32)
    assert run32.final.dtype == np.float32 and run32.dtype == "float32"
    np.testing.assert_allclose(run32.final, run64.final, atol=1e-4)


def test_readout_records_projections_and_speed(small_network):
    x0 = cue_starts(small_network, 3)
    R = small_network.patterns / small_network.patterns.sum(axis=0)
    with_states = euler_maruyama(small_network, x0, 0.01, 100, sigma=0.0, record_every=25)
    with_readout = euler_maruyama(small_network, x0, 0.01, 100, sigma=0.0, record_every=25, readout=R)
    assert with_readout.states is None and with_readout.readouts.shape == (5, 5, 3)
    np.testing.assert_allclose(with_readout.readouts, np.einsum("nk,tnb->tkb", R, with_states.states), atol=1e-12)
    expected_speed = np.max(np.abs(vector_field(small_network, with_states.states[2])), axis=0)
    np.testing.assert_allclose(with_states.speed[2], expected_speed, rtol=1e-12)
    np.testing.assert_allclose(with_states.times, [0.0, 0.25, 0.5, 0.75, 1.0])


def test_single_start_and_uneven_record_stride(small_network):
    run = euler_maruyama(small_network, cue_starts(small_network, 1)[:, 0], 0.1, 7, sigma=0.0, record_every=3)
    assert run.final.shape == (200,) and run.states.shape == (4, 200) and run.speed.shape == (4,)
    np.testing.assert_allclose(run.times, [0.0, 0.3, 0.6, 0.7])
    assert "7 steps" in run.summary() and "EulerMaruyamaResult" in repr(run)


def test_steady_tol_stops_early(equal_overlap_network):
    x0 = 0.8 * equal_overlap_network.memory_rates()[:, :2]
    run = euler_maruyama(equal_overlap_network, x0, 0.01, 10000, sigma=0.0, record_every=50, steady_tol=1e-6)
    assert run.status is EulerMaruyamaStatus.STEADY and run.n_steps < 10000
    assert run.speed[-1].max() < 1e-6
    assert run.times[-1] == pytest.approx(run.n_steps * 0.01)


def test_inputs_constant_callable_and_pulses_agree(small_network):
    """The same input as a constant, a function of time and one pulse spanning the run."""
    x0 = cue_starts(small_network, 2)
    u = 0.2 * small_network.patterns[:, 0].astype(float)
    runs = [
        euler_maruyama(small_network, x0, 0.01, 100, sigma=0.0, u=value)
        for value in (u, lambda t: u, pulse(u, 0.0, 5.0))
    ]
    for run in runs[1:]:
        np.testing.assert_allclose(run.final, runs[0].final, atol=1e-14)


def test_current_form_euler(small_network):
    x0 = cue_starts(small_network, 2)
    h0 = small_network.weights_matvec(x0)
    rate = euler_maruyama(small_network, x0, 0.001, 3000, sigma=0.0)
    current = euler_maruyama(small_network, h0, 0.001, 3000, sigma=0.0, form="current")
    assert current.boundary == "none"
    np.testing.assert_allclose(current.final, small_network.weights_matvec(rate.final), atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sigma": -1.0}, ValueError, "`sigma` must be >= 0"),
        ({"sigma": 0.0, "boundary": "wrap"}, ValueError, "`boundary` must be one of"),
        ({"sigma": 0.0, "form": "current", "boundary": "reflect"}, ValueError, "needs form='rate'"),
        ({"sigma": 0.1, "steady_tol": 1e-6}, ValueError, "needs a deterministic run"),
        ({"sigma": 0.0, "dtype": np.float16}, ValueError, "`dtype` must be float64 or float32"),
        ({"sigma": 0.0, "readout": np.ones((3, 2))}, ValueError, "`readout` must have shape"),
        ({"sigma": 0.0, "record_every": 0}, ValueError, "`record_every` must be >= 1"),
    ],
)
def test_euler_maruyama_rejects_bad_input(small_network, kwargs, error, message):
    with pytest.raises(error, match=message):
        euler_maruyama(small_network, np.zeros((200, 2)), 0.01, 5, **kwargs)


def test_refuses_to_record_huge_state_histories(small_network, monkeypatch):
    monkeypatch.setattr(dynamics, "_MAX_RECORD_BYTES", 1000)
    with pytest.raises(ValueError, match="pass `readout`"):
        euler_maruyama(small_network, np.zeros((200, 2)), 0.01, 5, sigma=0.0, record_every=1)


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH], ids=["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_euler_step_with_input_matches_the_vector_field(activation, dtype):
    """One deterministic step is x + dt f(x) exactly (phi's affine part is folded into the GEMM)."""
    network = design_quietly(random_patterns(300, 4, 0.2, seed=2), activation, 0.5, 1.2, q=0.2, r=0.2)
    x0 = np.random.default_rng(1).random((300, 3))
    u = np.linspace(-0.2, 0.3, 300)
    run = euler_maruyama(network, x0.astype(dtype), 0.05, 1, sigma=0.0, u=u, boundary="none", dtype=dtype)
    expected = x0 + 0.05 * vector_field(network, x0, u=u)
    np.testing.assert_allclose(run.final, expected, atol=1e-12 if dtype == np.float64 else 2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturating_inputs_raise_no_floating_point_errors(small_network, dtype):
    """phi of very large |W x + u| saturates at 0 and 1 exactly, with numpy set to raise on every error."""
    X0 = np.full((200, 3), 0.5)
    with np.errstate(all="raise"):
        for u in (1e3, -1e3):
            run = euler_maruyama(small_network, X0, 0.01, 3, sigma=0.0, u=u, dtype=dtype)
            assert np.all(np.isfinite(run.final))
            assert np.all(np.isfinite(vector_field(small_network, X0.astype(dtype), u=u)))
