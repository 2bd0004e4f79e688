"""Batched Euler–Maruyama by row blocks (assocrate.dynamics.sde, theory.md §2, §7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assocrate.core.patterns import random_patterns
from assocrate.dynamics import EulerMaruyamaStatus, euler_maruyama, pulse, sde, simulate, threads, tiles, vector_field

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly
from .starts import cue_starts

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
    monkeypatch.setattr(tiles, "_BLOCK_ENTRIES", 100)  # 8 row blocks
    serial = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    monkeypatch.setattr(threads, "_THREAD_MIN_ENTRIES", 0)  # the same blocks in worker threads
    threaded = euler_maruyama(small_network, X0, 0.01, 50, **kwargs)
    np.testing.assert_array_equal(threaded.final, serial.final)


@given(seed=st.integers(0, 2**32 - 1), sigma=st.floats(0.0, 1.0))
def test_reproducible_from_seed_property(small_network, seed, sigma):
    X0 = np.full((200, 2), 0.3)
    a = euler_maruyama(small_network, X0, 0.05, 3, sigma=sigma, seed=seed, boundary="reflect").final
    b = euler_maruyama(small_network, X0, 0.05, 3, sigma=sigma, seed=seed, boundary="reflect").final
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0.0 and a.max() <= 1.0  # reflection keeps the rates in [0, 1]


def test_generator_seed_is_accepted(small_network):
    X0 = np.full((200, 2), 0.3)
    a = euler_maruyama(small_network, X0, 0.01, 5, sigma=0.1, seed=np.random.default_rng(3)).final
    b = euler_maruyama(small_network, X0, 0.01, 5, sigma=0.1, seed=np.random.default_rng(3)).final
    np.testing.assert_array_equal(a, b)


@given(values=st.lists(st.floats(-3.0, 4.0), min_size=1, max_size=50))
def test_reflection_folds_into_unit_interval(values):
    x = np.array(values)
    folded = x.copy()
    tiles.reflect(folded)
    expected = 1.0 - np.abs(1.0 - np.mod(x, 2.0))
    np.testing.assert_allclose(folded, expected, atol=1e-12)
    assert folded.min() >= 0.0 and folded.max() <= 1.0


@pytest.mark.parametrize("boundary", ["reflect", "clip", "none"])
def test_boundaries(small_network, boundary):
    X0 = np.full((200, 8), 0.02)
    run = euler_maruyama(small_network, X0, 0.01, 20, sigma=1.0, seed=0, boundary=boundary)
    inside = run.final.min() >= 0.0 and run.final.max() <= 1.0
    assert inside == (boundary != "none")


def test_default_boundary_is_none_the_papers_model(small_network):
    run = euler_maruyama(small_network, np.full((200, 2), 0.3), 0.01, 2, sigma=0.1, seed=0)
    assert run.boundary == "none" and "boundary=none" in run.summary()


def _inactive_rates_at_memories(network, boundary: str, *, sigma: float = 0.1, dt: float = 0.01):
    """Final rates (t = 5 tau, stationary) of the units inactive in the memory each run started from."""
    X0 = np.repeat(network.memory_rates(), 4, axis=1)  # 4 runs per memory
    run = euler_maruyama(network, X0, dt, 500, sigma=sigma, boundary=boundary, seed=21)
    inactive = np.repeat(network.patterns, 4, axis=1) == 0
    return run.final[inactive]


def test_default_boundary_has_no_reflection_bias(equal_overlap_network):
    """sigma = 0.1, boundary "none": the mean rate of the inactive units (n samples, one per unit
    and run at t = 5 tau, independent to O(1/N)) is phi(a) within 3 sigma / sqrt(n): no bias.
    (Exact design: phi(a) is the deterministic rate of those units.)"""
    sigma = 0.1
    rates = _inactive_rates_at_memories(equal_overlap_network, "none", sigma=sigma)
    phi_a = float(equal_overlap_network.activation.phi(equal_overlap_network.a))
    assert rates.size == 800 * 6 * 4
    assert abs(rates.mean() - phi_a) < 3 * sigma / np.sqrt(rates.size)
    assert rates.min() < 0.0  # nothing folds the noise back


def test_reflect_boundary_shows_the_bias(equal_overlap_network):
    """boundary "reflect": the inactive rates are the folded stationary noise, mean
    E|N(0, s^2)| = s sqrt(2 / pi) with s^2 = sigma^2 dt / (1 - (1 - dt)^2) ~ sigma^2 / 2: +0.0566 at sigma = 0.1."""
    sigma, dt = 0.1, 0.01
    rates = _inactive_rates_at_memories(equal_overlap_network, "reflect", sigma=sigma, dt=dt)
    phi_a = float(equal_overlap_network.activation.phi(equal_overlap_network.a))
    s = sigma * np.sqrt(dt / (1.0 - (1.0 - dt) ** 2))
    bias = rates.mean() - phi_a
    assert abs(bias - s * np.sqrt(2.0 / np.pi)) < 3 * sigma / np.sqrt(rates.size)
    assert bias == pytest.approx(0.056, abs=0.002) and rates.min() >= 0.0


def test_float32_matches_float64(random_network):
    """Deterministic runs agree to float32 round-off."""
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


def test_steady_run_records_only_what_it_ran(equal_overlap_network):
    """A run that may stop early does not reserve every record it could make: 10^9 steps asked, a few
    hundred run, and the read-outs hold exactly the recorded times (no spare slot, no other buffer)."""
    network = equal_overlap_network
    x0 = 0.8 * network.memory_rates()[:, :4]
    run = euler_maruyama(network, x0, 0.05, 10**9, sigma=0.0, record_every=1, steady_tol=1e-6,
                         readout=network.patterns[:, :6].astype(float))
    assert run.status is EulerMaruyamaStatus.STEADY and run.n_steps < 10**4
    assert run.readouts.shape == (run.n_steps + 1, 6, 4) and run.readouts.base is None
    np.testing.assert_array_equal(run.times, 0.05 * np.arange(run.n_steps + 1))
    np.testing.assert_allclose(run.readouts[-1], network.patterns[:, :6].T.astype(float) @ run.final, rtol=1e-12)


@pytest.mark.parametrize("steady_tol", [None, 1e-3])
@pytest.mark.parametrize("single", [False, True])
def test_result_arrays_cannot_be_written_through_their_bases(small_network, steady_tol, single):
    x0 = 0.8 * small_network.memory_rates()[:, 0 if single else slice(0, 2)]
    run = euler_maruyama(small_network, x0, 0.01, 50, sigma=0.0, record_every=7, steady_tol=steady_tol)
    for array in (run.states, run.final, run.speed, run.times):
        while array is not None:
            assert not array.flags.writeable
            array = array.base if isinstance(array.base, np.ndarray) else None


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
    monkeypatch.setattr(sde, "_MAX_RECORD_BYTES", 1000)
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


@pytest.mark.parametrize("kwargs", [{}, {"record_every": 7}, {"steady_tol": 1e-12}, {"readout": "overlaps"}])
def test_final_state_is_the_last_record_and_read_only(small_network, kwargs):
    """The run's state may live in the last record slot (every state recorded to the end): the final
    state and the last record are then one array, equal either way, and nothing is writable."""
    X0 = cue_starts(small_network, 3)
    if kwargs.get("readout") == "overlaps":
        kwargs = {"readout": small_network.patterns / small_network.patterns.sum(axis=0)}
    result = euler_maruyama(small_network, X0, 0.01, 30, sigma=0.0, **kwargs)
    last = result.states[-1] if result.states is not None else result.readouts[-1]
    expected = result.final if result.states is not None else kwargs["readout"].T @ result.final
    np.testing.assert_allclose(last, expected, rtol=1e-12, atol=1e-15)
    for array in (result.final, last):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1.0
