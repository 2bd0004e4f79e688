"""assocrate.ctrnn.map: the step against the dense update, inputs, validation, noise per step, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.ctrnn import DiscreteNetwork, discretize, run_discrete
from assocrate.dynamics import euler_maruyama
from assocrate.errors import InvalidInput, InvalidType


@pytest.mark.parametrize("form", ["current", "rate"])
def test_step_equals_dense_update(small, form):
    rng = np.random.default_rng(0)
    W_in = rng.normal(size=(small.n_units, 3))
    bias = rng.normal(size=small.n_units) * 0.1
    d = discretize(small, 0.3, form=form, input_weights=W_in, bias=bias)
    V = rng.normal(size=(small.n_units, 4))
    u = rng.normal(size=(3, 4))
    eps, xi = rng.normal(size=V.shape), rng.normal(size=V.shape)
    W, f = small.dense_weights(), small.activation.phi
    if form == "current":
        expected = 0.7 * V + 0.3 * (W @ f(V) + W_in @ u + bias[:, None] + eps) + xi
    else:
        expected = 0.7 * V + 0.3 * f(W @ V + W_in @ u + bias[:, None] + eps) + xi
    np.testing.assert_allclose(d.step(V, u, pre_noise=eps, post_noise=xi), expected, rtol=1e-12, atol=1e-12)
    # one state, and one input shared by a batch, give the same columns
    single = d.step(V[:, 0], u[:, 0], pre_noise=eps[:, 0], post_noise=xi[:, 0])
    np.testing.assert_allclose(single, expected[:, 0], rtol=1e-12, atol=1e-12)
    shared = d.step(V, u[:, 0], pre_noise=eps, post_noise=xi)
    np.testing.assert_allclose(shared[:, 0], expected[:, 0], rtol=1e-12, atol=1e-12)


def test_identity_input_and_scalar_input(small):
    d = discretize(small, 0.5)
    V = d.memory_states()[:, :2]
    u = np.full(small.n_units, 0.2)
    np.testing.assert_allclose(d.step(V, 0.2), d.step(V, u), rtol=0, atol=0)
    with_bias = discretize(small, 0.5, bias=0.2)
    np.testing.assert_allclose(with_bias.step(V), d.step(V, u), rtol=0, atol=1e-15)


@pytest.mark.parametrize("form", ["current", "rate"])
def test_memories_are_fixed_points(small, form):
    d = discretize(small, 0.7, form=form)
    H = d.memory_states()
    np.testing.assert_allclose(d.step(H), H, atol=1e-12)


def test_gamma_summary_and_repr(small):
    slow = design(small.patterns, small.activation, small.a, small.b, tau=2.0)
    d = discretize(slow, 0.5)
    assert d.gamma == 0.25 and isinstance(d, DiscreteNetwork) and d.n_inputs == slow.n_units
    assert repr(d) == "DiscreteNetwork(n_units=200, dt=0.5, gamma=0.25, form='current')"
    assert "gamma=dt/tau=0.25" in d.summary() and "(identity)" in d.summary()
    assert not d.bias.flags.writeable


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda n: discretize(n, -0.1), InvalidInput, "`dt` must be > 0; got -0.1"),
        (lambda n: discretize(n, 0.1, form="spiking"), InvalidInput, "`form` must be one of"),
        (lambda n: discretize(n, 0.1, input_weights=np.ones((3, 2))), InvalidInput, "`input_weights` must be"),
        (lambda n: discretize(n, 0.1, input_weights=np.full((200, 2), "a")), InvalidType, "`input_weights` must be"),
        (lambda n: discretize(n, 0.1, bias=np.ones(3)), InvalidInput, r"`bias` must have shape \(200,\)"),
        (lambda n: discretize(n, 0.1, bias=np.nan), InvalidInput, "`bias` must be finite"),
        (lambda n: discretize("net.npz", 0.1), InvalidType, "`network` must be a MemoryNetwork"),
        (lambda n: run_discrete(discretize(n, 0.1), np.zeros(200), steps=0), InvalidInput, "`steps` must be >= 1"),
        (lambda n: run_discrete(discretize(n, 0.1), np.zeros(200), steps=1, sigma_pre=-1.0), InvalidInput,
         "`sigma_pre` must be >= 0"),
        (lambda n: run_discrete(discretize(n, 0.1), np.zeros(3), steps=1), InvalidInput,
         r"`initial` must have shape \(200,\) or \(200, B\); got shape \(3,\)"),
        (lambda n: run_discrete(discretize(n, 0.1), np.zeros(200), steps=1, seed=-1), InvalidInput, "`seed`"),
        (lambda n: run_discrete(n, np.zeros(200), steps=1), InvalidType, "`discrete` must be a DiscreteNetwork"),
        (lambda n: discretize(n, 0.1).step(np.zeros(200), np.ones(3)), InvalidInput, "`u` must be None, a scalar"),
    ],
)
def test_invalid_input(small, call, error, message):
    with pytest.raises(error, match=message):
        call(small)


def test_readout_gives_the_overlaps(small):
    d = discretize(small, 0.5)
    run = run_discrete(d, d.memory_states(), steps=3)
    rates = small.memory_rates()
    expected = small.patterns.T.astype(float) @ rates / small.patterns.sum(axis=0)[:, None]
    np.testing.assert_allclose(run.overlaps[0], expected, rtol=1e-12)
    np.testing.assert_allclose(np.diag(run.overlaps[-1]), small.activation.phi(small.b), rtol=1e-10)
    np.testing.assert_array_equal(run.steps, [0, 1, 2, 3])
    np.testing.assert_allclose(run.times, [0.0, 0.5, 1.0, 1.5])


def test_inputs_constant_and_callable(small):
    d = discretize(small, 0.5, input_weights=small.patterns.astype(float))
    quiet = np.full(small.n_units, small.a)
    kick = np.zeros(small.n_patterns)
    kick[2] = 1.5
    constant = run_discrete(d, quiet, steps=40, inputs=kick, record_every=7)
    by_step = run_discrete(d, quiet, steps=40, inputs=lambda t: kick, record_every=7)
    np.testing.assert_array_equal(constant.final_states, by_step.final_states)
    assert constant.steps.tolist() == [0, 7, 14, 21, 28, 35, 40]
    assert np.argmax(constant.overlaps[-1][:, 0]) == 2 and constant.overlaps[-1][2, 0] > 0.99
    with pytest.raises(InvalidInput, match="`inputs` must be None, a scalar or have shape"):
        run_discrete(d, quiet, steps=2, inputs=np.ones(small.n_units))
    with pytest.raises(InvalidInput, match=r"`inputs\(t\)` must be finite"):
        run_discrete(d, quiet, steps=2, inputs=lambda t: np.full(small.n_patterns, np.nan))


# ------------------------------------------------------------------------------------------------
# Noise
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["current", "rate"])
def test_noise_variance_per_step(small, form):
    d = discretize(small, 0.4, form=form)
    start = np.repeat(d.memory_states()[:, :1], 500, axis=1)  # 200 x 500 = 10^5 samples
    clean = run_discrete(d, start, steps=1).final_states
    post = run_discrete(d, start, steps=1, sigma_post=0.05, seed=3).final_states - clean
    assert np.var(post) == pytest.approx(0.05**2, rel=0.02)  # xi_t: sigma_post^2
    assert abs(np.mean(post)) < 4 * 0.05 / np.sqrt(post.size)
    pre = run_discrete(d, start, steps=1, sigma_pre=0.01, seed=4).final_states - clean
    if form == "current":  # eps_t enters as gamma eps_t: variance gamma^2 sigma_pre^2
        assert np.var(pre) == pytest.approx((0.4 * 0.01) ** 2, rel=0.02)
    else:  # inside f: variance (gamma f'(h))^2 sigma_pre^2 to first order (sigma_pre small)
        slope = small.activation.dphi(small.memory_currents()[:, :1])
        expected = np.mean((0.4 * slope) ** 2) * 0.01**2
        assert np.mean(pre**2) == pytest.approx(expected, rel=0.05)
    both = run_discrete(d, start, steps=1, sigma_pre=0.01, sigma_post=0.05, seed=5).final_states - clean
    if form == "current":  # independent: the variances add
        assert np.var(both) == pytest.approx((0.4 * 0.01) ** 2 + 0.05**2, rel=0.02)


def test_noise_accumulates_like_a_linear_filter(small):
    """Post-noise on a stable memory: the stationary variance of the slowest direction is bounded."""
    d = discretize(small, 0.5)
    start = np.repeat(d.memory_states()[:, :1], 50, axis=1)
    run = run_discrete(d, start, steps=200, sigma_post=1e-3, seed=0, record_every=200)
    deviation = run.final_states - start
    # bulk modes of the map contract by 1 - gamma = 0.5: variance sigma^2 / (1 - 0.25)
    assert np.var(deviation) == pytest.approx(1e-6 / 0.75, rel=0.1)


def test_noise_reproducible_from_seed(small):
    d = discretize(small, 0.2)
    start = d.memory_states()[:, :3]
    first = run_discrete(d, start, steps=20, sigma_pre=0.1, sigma_post=0.01, seed=11)
    again = run_discrete(d, start, steps=20, sigma_pre=0.1, sigma_post=0.01, seed=11)
    other = run_discrete(d, start, steps=20, sigma_pre=0.1, sigma_post=0.01, seed=12)
    np.testing.assert_array_equal(first.final_states, again.final_states)
    np.testing.assert_array_equal(first.overlaps, again.overlaps)
    assert not np.array_equal(first.final_states, other.final_states)
    generator = run_discrete(d, start, steps=20, sigma_pre=0.1, sigma_post=0.01, seed=np.random.default_rng(11))
    np.testing.assert_array_equal(first.final_states, generator.final_states)
    assert first.seed == 11 and generator.seed is None
    assert "DiscreteRun: 3 trajectories, 20 steps" in first.summary()
    assert repr(first) == "DiscreteRun(n_trajectories=3, steps=20, dt=0.2)"
    assert first.finite.all() and not first.final_states.flags.writeable


@pytest.mark.parametrize("form", ["current", "rate"])
def test_map_is_the_euler_step_of_the_ode(small, form):
    """Two routes: gamma = dt/tau makes the map the Euler step of ``tau s' = -s + ...`` (dynamics.euler_maruyama)."""
    slow = design(small.patterns, small.activation, small.a, small.b, tau=2.0)
    d = discretize(slow, 0.1, form=form)
    start = 0.7 * d.memory_states()[:, :3] + 0.05
    u = np.linspace(0.0, 0.1, slow.n_units)
    ours = run_discrete(d, start, steps=50, inputs=u).final_states
    euler = euler_maruyama(slow, start, 0.1, 50, sigma=0.0, u=u, form=form).final
    np.testing.assert_allclose(ours, euler, rtol=1e-12, atol=1e-12)
