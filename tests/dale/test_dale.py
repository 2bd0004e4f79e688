"""dale: the shift c from row types against dense W_cov, signs, exact equilibria, the reduced augmented
spectrum against dense eigenvalues, destabilization by slow inhibition, and retrieval by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import linear_sum_assignment

import assocrate.dale.realization as realization_module
from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.equilibria import fixed_point_residual, refine_equilibrium
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.dale import (
    DaleNetwork,
    dale_realization,
    dale_spectrum,
    dale_stability,
    dale_vector_field,
    simulate_dale,
)
from assocrate.dale.realization import _min_pair_product
from assocrate.dynamics import simulate
from assocrate.stability import Verdict, jacobian_spectrum

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly

EPS = np.finfo(float).eps

# Low gain (rho = 0.84, threshold 0) on the equal-overlap set with q = 0.3 (P = 4): every memory
# is stable in the designed network, but the excitatory block with frozen inhibition is not
# (largest eigenvalue +1.32), so slow inhibition destabilizes it. Found by scanning the paper's
# (rho, threshold) grid at the reference levels a = -0.3, b = 0.95; no such case exists for the
# reference networks (see test_reference_networks_are_stable_for_every_tau_inhibitory).
SLOW_INHIBITION_CASE = (lambda: equal_overlap_patterns(300, 0.3), Sigmoid(0.84, 0.0), -0.3, 0.95)

# Small designs for the dense comparisons: an exact design, a rank-deficient one (rectified tanh
# with a below threshold: zero slopes), approximate ones (refined equilibria), and the case above.
SMALL_DESIGNS = {
    "equal-overlap": (lambda: equal_overlap_patterns(300, 0.2), REFERENCE_SIGMOID, -0.3, 0.95),
    "tanh zero slopes": (lambda: equal_overlap_patterns(300, 0.2), REFERENCE_TANH, -0.3, 0.95),
    "random": (lambda: random_patterns(200, 6, 0.2, seed=1), REFERENCE_SIGMOID, -0.3, 0.95),
    "correlated low gain": (lambda: correlated_patterns(300, 5, 0.2, 0.4, seed=2), Sigmoid(1.48, 0.0), -0.3, 0.95),
    "slow-inhibition case": SLOW_INHIBITION_CASE,
}


def small_design(name):
    patterns, activation, a, b = SMALL_DESIGNS[name]
    return design_quietly(patterns(), activation, a, b)


def dense_equilibrium(network, mu):
    """The rates of the equilibrium at memory mu, as the stability module linearises there."""
    x = network.memory_rates()[:, mu]
    return x if network.is_exact else refine_equilibrium(network, x).x


def dense_field(dale, Z):
    """The augmented vector field from the dense blocks (one state)."""
    blocks = dale.dense_blocks()
    N = dale.n_units
    x, r = Z[:N], Z[N:]
    h = blocks.EE @ x + blocks.EI @ r
    return np.concatenate(
        [(-x + dale.network.activation.phi(h)) / dale.tau, (-r + blocks.IE @ x + blocks.II @ r) / dale.tau_inhibitory]
    )


def dense_jacobian(dale, x, slopes=None):
    """The augmented Jacobian at excitatory rates x (r = mean(x)), from the dense blocks; the slopes
    are phi' of the currents there unless given."""
    blocks = dale.dense_blocks()
    N, N_I = dale.n_units, dale.n_inhibitory
    r = np.full(N_I, x.mean())
    d = dale.network.activation.dphi(blocks.EE @ x + blocks.EI @ r) if slopes is None else slopes
    top = np.hstack([-np.eye(N) + d[:, None] * blocks.EE, d[:, None] * blocks.EI]) / dale.tau
    bottom = np.hstack([blocks.IE, -np.eye(N_I) + blocks.II]) / dale.tau_inhibitory
    return np.vstack([top, bottom])


def matched_distance(a, b):
    """Largest distance between two multisets of complex numbers under the best matching."""
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].max())


# ----------------------------------------------------------------------------------------------
# The shift c and the signs
# ----------------------------------------------------------------------------------------------


def test_reference_shift_is_alpha(equal_overlap_network):
    """Equal-overlap set, q = 0.2 (P = 6, beta = q): the most negative products of shifted rows are
    e_k·e_l = e_k·1 = -2 beta(1-beta) + 4 beta^2 = -0.16 = -q(1-q), so c = alpha' q(1-q) = alpha.
    Tolerance 1e-12 relative: c is a 3-term float formula times alpha'."""
    dale = dale_realization(equal_overlap_network)
    net = equal_overlap_network
    assert dale.c == pytest.approx(net.alpha, rel=1e-12)
    assert dale.w_EI == pytest.approx(net.alpha - net.gamma, rel=1e-12)
    assert dale.w_EI > 0 and dale.tau_inhibitory == net.tau and dale.n_inhibitory == 1
    signs = dale.signs()
    assert signs.obeys_dale and abs(signs.min_W_EE) <= signs.tolerance
    assert signs.W_IE == 1 / net.n_units and signs.W_EI == -dale.w_EI


def test_positive_gamma_cannot_be_realized(positive_gamma_network):
    """gamma = 1.2525 > c = 0.8669: w_EI < 0. The message names the argument and values; the
    claim that W is then entrywise positive is checked densely (min W = (gamma - c)/N, 1e-12 rel)."""
    with pytest.raises(ValueError, match=r"`network` has gamma=1\.2525\d* > c=0\.8668\d* .* needs gamma <= c"):
        dale_realization(positive_gamma_network)
    net = positive_gamma_network
    W = net.dense_weights()
    W_cov = W - net.gamma / net.n_units
    c = -net.n_units * W_cov.min()
    assert net.gamma > c and W.min() == pytest.approx((net.gamma - c) / net.n_units, rel=1e-12)


@pytest.mark.parametrize("name", ["equal-overlap", "random", "correlated low gain", "slow-inhibition case"])
def test_shift_equals_dense_minimum(name):
    """c and the attaining pair from row types agree with the dense W_cov. Tolerance: the sign
    tolerance of DaleSigns, (P + 2) eps (alpha' P + c)/N, which bounds the rounding of either route."""
    network = small_design(name)
    dale = dale_realization(network, n_inhibitory=2)
    blocks = dale.dense_blocks()
    W_cov = network.dense_weights() - network.gamma / network.n_units
    signs = dale.signs()
    assert abs(dale.min_covariance - W_cov.min()) <= signs.tolerance
    assert abs(W_cov[dale.min_pair] - W_cov.min()) <= signs.tolerance
    assert blocks.EE.min() >= -signs.tolerance and abs(blocks.EE.min() - signs.min_W_EE) <= signs.tolerance
    assert abs(blocks.EE.max() - signs.max_W_EE) <= signs.tolerance
    assert np.all(blocks.IE == signs.W_IE) and np.all(blocks.EI == signs.W_EI) and np.all(blocks.II == 0)
    assert signs.obeys_dale


def _products(rows, beta):
    """Every (rows_s - beta)·(rows_t - beta) by the same float formula as the search (exact ints)."""
    rows = rows.astype(np.int64)
    ones = rows.sum(axis=1)
    return rows @ rows.T - beta * (ones[:, None] + ones[None, :]) + rows.shape[1] * beta * beta


@given(
    rows=hnp.arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 10))),
    beta=st.floats(0.01, 0.99),
)
def test_min_pair_product_equals_dense_minimum(rows, beta):
    """The pruned class-pair search returns exactly the minimum of the full k x k table (same float
    formula, so equality is exact), its argmin attains it, and the Gram of the shifted rows agrees
    within the dot-product rounding bound (P + 1) eps P."""
    value, s, t = _min_pair_product(rows, beta)
    table = _products(rows, beta)
    assert value == table.min() and table[s, t] == value
    shifted = rows - beta
    assert abs((shifted @ shifted.T).min() - value) <= (rows.shape[1] + 1) * EPS * rows.shape[1]


@pytest.mark.parametrize("seed", range(4))
def test_min_pair_product_by_small_blocks(seed, monkeypatch):
    """The blocked overlap search (blocks of one or a few rows, early exit at each class pair's floor)
    gives the same exact minimum as the full table."""
    monkeypatch.setattr(realization_module, "_OVERLAP_BLOCK_ENTRIES", 7)
    rng = np.random.default_rng(seed)
    rows = rng.random((60, 9)) < rng.uniform(0.1, 0.6)
    value, s, t = _min_pair_product(rows, 0.25)
    assert value == _products(rows, 0.25).min() == _products(rows, 0.25)[s, t]


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_units=st.integers(3, 40),
    n_patterns=st.integers(1, 6),
)
def test_random_designs_obey_dale(seed, n_units, n_patterns):
    """Random small designs (nominal q = r = 0.2): the realization obeys Dale's law and its smallest
    E->E weight is the dense one, within the stated sign tolerance."""
    patterns = random_patterns(n_units, n_patterns, 0.5, seed=seed)
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network)
    signs = dale.signs()
    EE = dale.dense_blocks().EE
    assert signs.obeys_dale and EE.min() >= -signs.tolerance
    assert abs(EE.min() - signs.min_W_EE) <= signs.tolerance and abs(EE.max() - signs.max_W_EE) <= signs.tolerance


# ----------------------------------------------------------------------------------------------
# Equilibria and the vector field
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_inhibitory", [1, 4])
@pytest.mark.parametrize(
    "patterns", [lambda: equal_overlap_patterns(500, 0.2), lambda: correlated_patterns(600, 5, 0.2, 0.4, seed=2)]
)
def test_memories_are_exact_equilibria(patterns, n_inhibitory):
    """Exact designs: every memory with r = mean(x) is an equilibrium of the augmented system, both
    through the factors and through the dense blocks, to 1e-12 (rounding of O(1) currents)."""
    network = design(patterns(), REFERENCE_SIGMOID, -0.3, 0.95)
    dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=3.0)
    states = dale.memory_states()
    assert states.shape == (network.n_units + n_inhibitory, network.n_patterns)
    assert np.abs(dale_vector_field(dale, states)).max() <= 1e-12
    for mu in range(network.n_patterns):
        assert np.abs(dense_field(dale, states[:, mu])).max() <= 1e-12


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), n_patterns=st.integers(2, 8), tau_inhibitory=st.floats(0.05, 50.0))
def test_refined_equilibria_of_random_designs(seed, n_patterns, tau_inhibitory):
    """Approximate designs: the refined equilibrium x* of the designed network with r = mean(x*) is an
    equilibrium of the augmented system; its residual equals the designed network's fixed-point
    residual (<= 1e-12 after Newton) up to 1e-13 (the two currents W x and W_EE x - w_EI mean(x)
    differ by rounding of O(alpha') terms)."""
    patterns = random_patterns(300, n_patterns, 0.2, seed=seed)
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network, tau_inhibitory=tau_inhibitory)
    x = refine_equilibrium(network, network.memory_rates()[:, 0]).x
    residual = fixed_point_residual(network, x)
    field = dale_vector_field(dale, np.append(x, x.mean()))
    assert np.abs(field[:-1]).max() * dale.tau <= residual + 1e-13
    assert abs(field[-1]) <= 1e-15


def test_vector_field_batch_and_dense():
    """A batch equals its columns up to the summation order of BLAS matrix-matrix vs matrix-vector
    products (1e-13 on O(1) values, currents summing P + 1 terms of size <= alpha'), and both equal
    the dense blocks (1e-12); an input u enters the excitatory currents."""
    network = small_design("random")
    dale = dale_realization(network, n_inhibitory=3, tau_inhibitory=0.7)
    rng = np.random.default_rng(0)
    Z = rng.random((network.n_units + 3, 4))
    batch = dale_vector_field(dale, Z, u=0.1)
    for j in range(4):
        assert np.abs(batch[:, j] - dale_vector_field(dale, Z[:, j], u=0.1)).max() <= 1e-13  # GEMM vs GEMV order
        assert np.abs(dale_vector_field(dale, Z[:, j]) - dense_field(dale, Z[:, j])).max() <= 1e-12
    u = rng.random(network.n_units)
    h = dale.dense_blocks().EE @ Z[: network.n_units, 0] - dale.w_EI * Z[network.n_units :, 0].mean() + u
    expected = (network.activation.phi(h) - Z[: network.n_units, 0]) / dale.tau
    assert np.abs(dale_vector_field(dale, Z[:, 0], u=u)[: network.n_units] - expected).max() <= 1e-12


# ----------------------------------------------------------------------------------------------
# Spectra
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tau_inhibitory", [0.1, 1.0, 10.0, 100.0])
@pytest.mark.parametrize("name", list(SMALL_DESIGNS))
def test_reduced_spectrum_equals_dense_eigenvalues(name, tau_inhibitory):
    """All N + N_I eigenvalues (with multiplicity) agree with numpy.linalg.eigvals of the dense
    augmented Jacobian under the best matching, to 1e-9 (dense nonsymmetric eigenvalues of these
    well-conditioned matrices are accurate to ~1e-13; the bulk -1/tau has multiplicity ~N); the
    designed network's part is jacobian_spectrum's, bit for bit."""
    network = small_design(name)
    for n_inhibitory in (1, 3):
        dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
        spectrum = dale_spectrum(dale, 1)
        dense = np.linalg.eigvals(dense_jacobian(dale, dense_equilibrium(network, 1)))
        assert spectrum.size == network.n_units + n_inhibitory
        assert matched_distance(spectrum.dense(), dense) <= 1e-9
        assert spectrum.max_real == pytest.approx(dense.real.max(), abs=1e-9)
    assert spectrum.plain.max_eigenvalue == jacobian_spectrum(network, 1).max_eigenvalue


@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_units=st.integers(2, 30),
    n_patterns=st.integers(1, 6),
    n_inhibitory=st.integers(1, 3),
    tau_inhibitory=st.floats(0.05, 20.0),
    rho=st.floats(0.3, 5.0),
)
def test_reduced_spectrum_of_random_designs(seed, n_units, n_patterns, n_inhibitory, tau_inhibitory, rho):
    """Random tiny designs at their designed memories (at="ideal", slopes phi'(a), phi'(b)),
    including N < P + 1 (rank of U^T D U capped by N) and gains from flat to steep: the reduced
    spectrum matches dense eigvals to 1e-8 relative to the largest eigenvalue modulus (tiny
    nonsymmetric problems; the bound leaves room for eigenvalues of conditioning up to ~1e5)."""
    patterns = random_patterns(n_units, n_patterns, 0.4, seed=seed).copy()
    patterns[seed % n_units] = True  # pattern_statistics refuses empty and full patterns
    patterns[(seed + 1) % n_units] = False
    network = design_quietly(patterns, Sigmoid(rho, 0.2), -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
    spectrum = dale_spectrum(dale, 0, at="ideal")
    slopes = network.activation.dphi(network.memory_currents()[:, 0])
    dense = np.linalg.eigvals(dense_jacobian(dale, network.memory_rates()[:, 0], slopes))
    assert spectrum.size == n_units + n_inhibitory
    assert matched_distance(spectrum.dense(), dense) <= 1e-8 * max(1.0, np.abs(dense).max())


def test_tau_inhibitory_limits():
    """tau_I -> 0 recovers the designed network plus a fast mode ~ -1/tau_I; tau_I -> inf the
    excitatory block with frozen inhibition plus a slow mode -> 0. Tolerances 1e-3: the corrections
    are O(tau_I) and O(1/tau_I) with O(1) coefficients, here at tau_I = 1e-5 and 1e5."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network)
    fast = dale_spectrum(dale.with_tau_inhibitory(1e-5), 0)
    slow = dale_spectrum(dale.with_tau_inhibitory(1e5), 0)
    assert fast.max_real == pytest.approx(fast.plain.max_eigenvalue, abs=1e-3)
    assert fast.reduced.real.min() < -1e4
    assert slow.max_real == pytest.approx(slow.excitatory_max_eigenvalue, abs=1e-3)
    assert np.min(np.abs(slow.reduced)) < 1e-3


def test_reference_networks_are_stable_for_every_tau_inhibitory(
    equal_overlap_network, correlated_network, random_network
):
    """What is true for the reference networks: their slopes are tiny (phi' ~ 1e-4 at a, b), so even
    with frozen inhibition every excitatory eigenvalue is < 0 and each memory is stable for every
    tau_I (the reduced matrix is negative definite plus skew). Checked at tau_I from 1e-2 to 1e4."""
    for network in (equal_overlap_network, correlated_network, random_network):
        dale = dale_realization(network)
        result = dale_stability(dale)
        assert all(s.stable_for_every_tau_inhibitory for s in result.spectra)
        for tau_inhibitory in (1e-2, 1.0, 1e4):
            spectrum = dale_spectrum(dale.with_tau_inhibitory(tau_inhibitory), 0)
            assert spectrum.verdict is Verdict.STABLE


def test_equal_overlap_q02_frozen_block_is_the_sufficient_condition(equal_overlap_network):
    """Derived: with c = alpha (test_reference_shift_is_alpha) the frozen excitatory block of the
    q = 0.2 equal-overlap design has the eigenvalues alpha d_a, alpha d_b (K2 with gamma -> alpha is
    symmetric with det alpha^2 d_a d_b and trace alpha(d_a + d_b)), so its largest is
    (-1 + alpha eta)/tau: the paper's sufficient condition. Tolerance 1e-12 (rounding of the reduction)."""
    net = equal_overlap_network
    spectrum = dale_spectrum(dale_realization(net), 0)
    eta = max(float(net.activation.dphi(net.a)), float(net.activation.dphi(net.b)))
    assert spectrum.excitatory_max_eigenvalue == pytest.approx(-1 + net.alpha * eta, abs=1e-12)


def test_slow_inhibition_destabilizes_by_a_hopf_bifurcation():
    """A memory stable in the designed network (and with fast inhibition) is unstable with slow
    inhibition. The loss of stability is a Hopf bifurcation: det J = (-1/tau_I)^N_I det J_designed
    (Schur complement of the inhibitory block) never vanishes, so no real eigenvalue crosses 0 and
    the crossing pair at the critical tau_I is complex. Located by bisection to 1e-10 relative."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network)
    plain = jacobian_spectrum(network, 0)
    assert plain.verdict is Verdict.STABLE
    assert dale_spectrum(dale.with_tau_inhibitory(0.1), 0).verdict is Verdict.STABLE
    slow = dale_spectrum(dale.with_tau_inhibitory(10.0), 0)
    assert slow.verdict is Verdict.UNSTABLE and not slow.stable_for_every_tau_inhibitory
    lo, hi = 0.1, 10.0
    while hi / lo > 1 + 1e-10:
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if dale_spectrum(dale.with_tau_inhibitory(mid), 0).max_real < 0 else (lo, mid)
    critical = dale_spectrum(dale.with_tau_inhibitory(hi), 0)
    assert abs(critical.max_real) < 1e-8 and abs(critical.rightmost.imag) > 0.5
    # determinant identity, on the reduced eigenvalues (the bulk factors are known)
    for tau_inhibitory in (0.1, hi, 10.0):
        s = dale_spectrum(dale.with_tau_inhibitory(tau_inhibitory), 0)
        log_det = np.sum(np.log(np.abs(s.reduced))) - (s.n_units - s.rank) * np.log(s.tau)
        log_plain = np.sum(np.log(np.abs(plain.spectrum.values)) * plain.spectrum.multiplicities)
        assert log_det == pytest.approx(log_plain - np.log(tau_inhibitory), abs=1e-9)


def test_slow_inhibition_makes_the_memory_leave():
    """Dynamics agree with the spectrum: from the memory plus a 1e-3 perturbation, the designed
    network (slowest rate 0.036) returns, |x - x̄| < 1e-6 by t = 300 (1e-3 e^{-10.8} ~ 2e-8 expected),
    while the realization with tau_I = 10 (growth rate 0.84) leaves it, |x - x̄| > 0.05 by t = 60."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network, tau_inhibitory=10.0)
    x_bar = network.memory_rates()[:, 0]
    x0 = x_bar + 1e-3 * np.random.default_rng(0).standard_normal(network.n_units)
    plain = simulate(network, x0, (0.0, 300.0), steady_tol=None)
    augmented = simulate_dale(dale, x0, (0.0, 60.0), steady_tol=None)
    assert np.abs(plain.final - x_bar).max() < 1e-6
    assert np.abs(augmented.x - x_bar).max(axis=1).max() > 0.05


# ----------------------------------------------------------------------------------------------
# Retrieval by simulation
# ----------------------------------------------------------------------------------------------


def cue(network, mu, seed):
    """Rates of memory mu with 40 % of its active units switched off (the DESIGN.md §7 cue)."""
    xi = network.patterns[:, mu].copy()
    rng = np.random.default_rng(seed)
    xi[rng.choice(np.flatnonzero(xi), size=int(0.4 * xi.sum()), replace=False)] = False
    phi_a, phi_b = network.activation.phi(network.a), network.activation.phi(network.b)
    return phi_a + (phi_b - phi_a) * xi


def retrieve_both(network, dale, x0):
    """Plain and augmented runs to ||f||_inf < 1e-8 (above atol/tau_I = 1e-10/0.1 = 1e-9)."""
    plain = simulate(network, x0, (0.0, 400.0), steady_tol=1e-8, rtol=1e-10, atol=1e-10)
    augmented = simulate_dale(dale, x0, (0.0, 400.0), steady_tol=1e-8, rtol=1e-10, atol=1e-10)
    assert plain.status.name == augmented.status.name == "STEADY"
    return plain, augmented


@pytest.mark.parametrize("tau_inhibitory", [0.1, 0.3])
def test_realization_retrieves_like_the_designed_network(equal_overlap_network, random_network, tau_inhibitory):
    """With fast enough inhibition a cue keeping 60 % of the active units ends, in the realization,
    at the same memory as in the designed network (the refined equilibrium for the random network).
    Both stop at ||f||_inf < 1e-8 and the slowest decay rate at these memories is >= 0.9 (checked:
    the designed network's ~1, the inhibitory mode's ~1/tau_I), so each final state is within ~1e-8
    of the equilibrium: the two agree to 1e-7, and r = mean(x) to 1e-8."""
    for network in (equal_overlap_network, random_network):
        dale = dale_realization(network, n_inhibitory=2, tau_inhibitory=tau_inhibitory)
        assert dale_spectrum(dale, 2).max_real <= -0.9
        plain, augmented = retrieve_both(network, dale, cue(network, 2, seed=5))
        assert np.abs(augmented.final_x - plain.final).max() <= 1e-7
        assert np.abs(augmented.final_r - augmented.final_x.mean()).max() <= 1e-8
        assert np.abs(plain.final - dense_equilibrium(network, 2)).max() <= 1e-7


def test_slow_inhibition_loses_the_cue_of_the_random_reference_network(random_network):
    """What is true and not what one might hope: every memory of the random reference network is
    stable for every tau_I, but with tau_I = tau the cue that the designed network (and the
    realization with tau_I = 0.1) retrieves runs up towards all-on, the lagging inhibition (w_EI = 16.2)
    then shuts every unit down, and the run ends in the quiescent state (rates ~0.003: below phi(b)/2
    everywhere and uniform to 1e-3)."""
    dale = dale_realization(random_network, tau_inhibitory=1.0)
    assert all(s.verdict is Verdict.STABLE for s in dale_stability(dale).spectra)
    plain, augmented = retrieve_both(random_network, dale, cue(random_network, 2, seed=5))
    active = random_network.patterns[:, 2]
    assert plain.final[active].min() > 0.99
    assert augmented.x.mean(axis=1).max() > 0.9  # the excursion towards all-on
    assert augmented.final_x.max() < 0.01 and np.ptp(augmented.final_x) < 1e-3


def test_simulate_batch_and_steady_start(equal_overlap_network):
    """A batch of two starts; a start already at an equilibrium returns at once."""
    dale = dale_realization(equal_overlap_network)
    x = equal_overlap_network.memory_rates()[:, :2]
    result = simulate_dale(dale, 0.9 * x, (0.0, 50.0))
    assert result.x.shape[1:] == x.shape and result.r.shape[1:] == (1, 2)
    assert result.status.name == "STEADY" and np.abs(result.final_x - x).max() < 1e-5
    steady = simulate_dale(dale, x[:, 0], (0.0, 5.0))
    assert steady.trajectory.t_steady == 0.0 and steady.t.size == 1 and steady.trajectory.success
    assert "steady" in steady.summary() and "DaleSimulation(n_units=1000, n_inhibitory=1" in repr(steady)


# ----------------------------------------------------------------------------------------------
# Records and validation
# ----------------------------------------------------------------------------------------------


def test_records_are_frozen_and_readable(equal_overlap_network):
    dale = dale_realization(equal_overlap_network, n_inhibitory=2, tau_inhibitory=4.0)
    spectrum = dale_spectrum(dale, 0)
    for array in (dale.c_EE, spectrum.values, spectrum.multiplicities, spectrum.reduced, spectrum.excitatory):
        assert not array.flags.writeable
    with pytest.raises(AttributeError):
        dale.c = 0.0
    assert "w_EI = c - gamma = 1.50001" in dale.summary() and "Dale's law: obeyed" in dale.summary()
    assert "stable for every tau_I" in spectrum.summary() and "DaleSpectrum(mu=0" in repr(spectrum)
    table = dale_stability(dale).summary()
    assert "6 of 6 memories stable" in table and len(table.splitlines()) == 3 + 6 + 1
    assert spectrum.multiplicities.sum() == 1002 and spectrum.rank == 7


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_inhibitory": 0}, ValueError, "`n_inhibitory` must be >= 1; got 0"),
        ({"n_inhibitory": 1.5}, TypeError, "`n_inhibitory` must be an integer"),
        ({"tau_inhibitory": -0.5}, ValueError, "`tau_inhibitory` must be > 0; got -0.5"),
        ({"tau_inhibitory": float("nan")}, ValueError, "`tau_inhibitory` must be finite"),
    ],
)
def test_realization_rejects_bad_arguments(equal_overlap_network, kwargs, error, message):
    with pytest.raises(error, match=message):
        dale_realization(equal_overlap_network, **kwargs)


def test_functions_reject_bad_arguments(equal_overlap_network):
    dale = dale_realization(equal_overlap_network)
    N = equal_overlap_network.n_units
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        dale_realization("net")
    with pytest.raises(TypeError, match="`dale` must be a DaleNetwork"):
        dale_spectrum(equal_overlap_network, 0)
    with pytest.raises(ValueError, match=r"`mu` must be in \[0, 5\]; got 6"):
        dale_spectrum(dale, 6)
    with pytest.raises(ValueError, match="`at` must be one of"):
        dale_stability(dale, at="nowhere")
    with pytest.raises(ValueError, match=r"`Z` must have shape \(1001,\)"):
        dale_vector_field(dale, np.zeros(N))
    with pytest.raises(ValueError, match="`u` must be None, a scalar or have shape"):
        dale_vector_field(dale, np.zeros(N + 1), u=np.zeros(3))
    with pytest.raises(ValueError, match=r"`r0` must be a scalar or have shape \(1,\)"):
        simulate_dale(dale, np.zeros(N), (0.0, 1.0), r0=np.zeros(2))
    with pytest.raises(ValueError, match="`t_span` must have t1 > t0"):
        simulate_dale(dale, np.zeros(N), (1.0, 0.0))
    with pytest.raises(ValueError, match="`tau_inhibitory` must be > 0"):
        dale.with_tau_inhibitory(0.0)
    with pytest.raises(ValueError, match="`c` must be >= 0"):
        DaleNetwork(equal_overlap_network, 1, 1.0, -1.0, 0.0, (0, 0))
