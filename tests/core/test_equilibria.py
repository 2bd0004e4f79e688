"""Equilibria: Newton refinement through Woodbury, uniform states."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.equilibria import (
    NewtonStatus,
    damped_newton,
    equilibrium_residual,
    fixed_point_residual,
    refine_equilibrium,
    uniform_states,
)
from assocrate.core.patterns import random_patterns
from assocrate.errors import InvalidInput

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


def test_refine_random_memories(random_network):
    for mu in range(random_network.n_patterns):
        start = random_network.memory_rates()[:, mu]
        result = refine_equilibrium(random_network, start)
        assert result.success, result
        assert result.residual <= 1e-10
        # Independent check of the returned point against the defining equation.
        assert fixed_point_residual(random_network, result.x) <= 1e-10
        assert np.allclose(result.h, random_network.weights_matvec(result.x), atol=1e-12)
        # The refined equilibrium stays close to the rescaled memory.
        assert np.max(np.abs(result.x - start)) < 0.1


def test_refine_with_dense_newton_agrees():
    net = design_quietly(random_patterns(300, 6, 0.2, seed=2), REFERENCE_TANH, 0.5, 1.2)
    start = net.memory_rates()[:, 1]
    woodbury = refine_equilibrium(net, start)
    # Independent route: plain Newton with the dense Jacobian.
    W = net.dense_weights()
    x = start.copy()
    for _ in range(50):
        h = W @ x
        f = net.activation.phi(h) - x
        if np.max(np.abs(f)) < 1e-13:
            break
        x -= np.linalg.solve(-np.eye(300) + net.activation.dphi(h)[:, None] * W, f)
    assert woodbury.success
    assert np.allclose(woodbury.x, x, atol=1e-10)


def test_refine_with_input(equal_overlap_network):
    u = np.full(equal_overlap_network.n_units, 0.05)
    result = refine_equilibrium(equal_overlap_network, equal_overlap_network.memory_rates()[:, 0], u=u)
    assert result.success
    assert fixed_point_residual(equal_overlap_network, result.x, u) <= 1e-12


def test_exact_memory_needs_no_iteration(equal_overlap_network):
    result = refine_equilibrium(equal_overlap_network, equal_overlap_network.memory_rates()[:, 2])
    assert result.success and result.iterations <= 1


def test_max_iterations_is_a_status(random_network):
    result = refine_equilibrium(random_network, np.full(1000, 0.5), max_iter=1)
    assert result.status in (NewtonStatus.MAX_ITERATIONS, NewtonStatus.CONVERGED)
    assert "increase max_iter" in NewtonStatus.MAX_ITERATIONS.value


def test_a_stagnating_residual_gives_up_with_a_status():
    """A residual that keeps falling by 1 % per step is not converging at a useful speed: STAGNATED
    once it has fallen by less than 10 % over the last 10 iterations (after 10 steps: 0.99^10 > 0.9)."""
    from assocrate.core.equilibria import damped_newton

    run = damped_newton(lambda z: z, lambda z, f: -0.01 * f, np.array([1.0]), tol=1e-12, max_iter=1000)
    assert run.status is NewtonStatus.STAGNATED and run.iterations == 10
    fast = damped_newton(lambda z: z, lambda z, f: -0.5 * f, np.array([1.0]), tol=1e-12, max_iter=1000)
    assert fast.status is NewtonStatus.CONVERGED  # halving the residual each step is progress


def test_an_input_far_from_every_equilibrium_gives_up_with_a_status():
    """Input 0.3 moves memory 0 far from an equilibrium: Newton gives up with a status, not an error."""
    net = design_quietly(random_patterns(1000, 14, 0.2, seed=0), REFERENCE_SIGMOID, -0.3, 0.95)
    result = refine_equilibrium(net, net.memory_rates()[:, 0], 0.3)
    assert result.status in (NewtonStatus.STAGNATED, NewtonStatus.STALLED) and result.iterations <= 20
    assert not result.success and result.residual > 1e-3
    assert result.residual == pytest.approx(fixed_point_residual(net, result.x, 0.3), rel=1e-12)


def test_a_stalled_line_search_is_a_status_and_counts_the_failed_iteration():
    """Without the stagnation test (tol = 0) the same start runs until the line search stalls."""
    net = design_quietly(random_patterns(1000, 14, 0.2, seed=0), REFERENCE_SIGMOID, -0.3, 0.95)
    x0 = net.memory_rates()[:, 0]
    W = net.dense_weights()

    def newton_step(x, f):
        jacobian = -np.eye(x.size) + net.activation.dphi(W @ x + 0.3)[:, None] * W
        return np.linalg.solve(jacobian, -f)

    run = damped_newton(
        lambda x: net.activation.phi(net.weights_matvec(x) + 0.3) - x, newton_step, x0, tol=0.0, max_iter=50,
        max_halvings=20,
    )
    assert run.status is NewtonStatus.STALLED and run.iterations < 50
    assert float(np.max(np.abs(run.residual))) > 1e-3


def test_stagnation_never_cuts_quadratic_convergence():
    """Newton on z^2 = 2 from far away (linear phase, then quadratic) still converges."""
    run = damped_newton(lambda z: z**2 - 2.0, lambda z, f: -f / (2 * z), np.array([1000.0]), tol=1e-14, max_iter=50)
    assert run.status is NewtonStatus.CONVERGED


def test_a_singular_newton_system_stalls_instead_of_raising():
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    run = damped_newton(
        lambda z: singular @ z - np.array([1.0, 2.0]),
        lambda z, f: -np.linalg.solve(singular, f),
        np.zeros(2),
        tol=1e-12,
        max_iter=10,
    )
    assert run.status is NewtonStatus.STALLED and run.iterations == 1
    np.testing.assert_array_equal(run.z, np.zeros(2))


def test_uniform_states_negative_gamma(equal_overlap_network):
    states = uniform_states(equal_overlap_network)
    assert [s.kind for s in states] == ["quiescent"]
    state = states[0]
    assert state.stable
    assert equal_overlap_network.activation.phi(equal_overlap_network.gamma * state.rate) == pytest.approx(
        state.rate, abs=1e-14
    )
    # A uniform state is an equilibrium of the full network (W 1 = gamma 1).
    assert fixed_point_residual(equal_overlap_network, np.full(1000, state.rate)) <= 1e-13


def test_uniform_states_positive_gamma(positive_gamma_network):
    states = uniform_states(positive_gamma_network)
    assert [s.kind for s in states] == ["quiescent", "intermediate", "all-on"]
    assert [s.stable for s in states] == [True, False, True]
    # Stability verdicts against dense eigenvalues of -I + D W at the uniform state.
    W = positive_gamma_network.dense_weights()
    for state in states:
        slope = positive_gamma_network.activation.dphi(state.current)
        dense_max = np.linalg.eigvalsh(-np.eye(1000) + slope * W).max()
        assert state.max_eigenvalue == pytest.approx(dense_max, abs=1e-10)


def test_bad_arguments(equal_overlap_network):
    with pytest.raises(ValueError, match="`x0` must have shape \\(1000,\\)"):
        refine_equilibrium(equal_overlap_network, np.zeros(5))
    with pytest.raises(ValueError, match="`mu` must be in \\[0, 5\\]; got 6"):
        equilibrium_residual(equal_overlap_network, 6)
    with pytest.raises(ValueError, match="`u` must be None, a scalar or have shape \\(1000,\\)"):
        refine_equilibrium(equal_overlap_network, np.zeros(1000), u=np.zeros(3))


@pytest.mark.parametrize("u", [np.nan, np.inf, np.full(1000, np.nan), np.ones(1000) * 1j])
def test_a_non_finite_or_complex_input_is_refused_not_a_stalled_run(equal_overlap_network, u):
    with pytest.raises(InvalidInput, match="`u` must be"):
        refine_equilibrium(equal_overlap_network, np.zeros(1000), u=u)


def test_giving_up_early_stops_a_run_that_cannot_reach_tol():
    """F(z) = z^2 + 1 has no root: the residual stays >= 1, which no squaring brings to tol, so with
    give_up_early the run stops OUT_OF_REACH as it enters the last 4 iterations; without, it runs on."""
    residual, step = (lambda z: z**2 + 1.0), (lambda z, f: -f / (2.0 * z))
    early = damped_newton(residual, step, np.array([0.3]), tol=1e-12, max_iter=8, give_up_early=True)
    assert early.status is NewtonStatus.OUT_OF_REACH and early.iterations == 4
    assert "even if each squared it" in NewtonStatus.OUT_OF_REACH.value
    late = damped_newton(residual, step, np.array([0.3]), tol=1e-12, max_iter=8)
    assert late.status is not NewtonStatus.OUT_OF_REACH and late.iterations > 4


def test_giving_up_early_squares_the_residual_once_per_iteration_left():
    """A residual falling by 10 % per step: 0.15 with 4 of 8 iterations left is still in reach
    (0.15^16 = 6.6e-14 <= 1e-12), 0.135 with 3 left is not (0.135^8 = 1.1e-7): given up at 5."""
    run = damped_newton(lambda z: z, lambda z, f: -0.1 * f, np.array([0.15 / 0.9**4]), tol=1e-12, max_iter=8,
                        give_up_early=True)
    assert run.status is NewtonStatus.OUT_OF_REACH and run.iterations == 5


def test_giving_up_early_never_judges_the_first_iterations():
    """With max_iter 4 every iteration is among the last 4, but none comes after 4 others: a start whose
    residual no squaring brings to tol in time (0.9^16 > 1e-12), which converges at a better than
    quadratic rate, is not given up."""
    run = damped_newton(lambda z: z, lambda z, f: -0.999999 * f, np.array([0.9]), tol=1e-12, max_iter=4,
                        give_up_early=True)
    assert run.status is NewtonStatus.CONVERGED


def test_giving_up_early_does_not_overflow():
    """A residual of 6e298 with 4 iterations left: its 16th power is not computed (it would overflow)."""
    run = damped_newton(lambda z: z, lambda z, f: -0.5 * f, np.array([1e300]), tol=1e-12, max_iter=8,
                        give_up_early=True)
    assert run.status is NewtonStatus.OUT_OF_REACH and run.iterations == 4


def test_giving_up_early_keeps_a_run_that_converges_in_its_last_iterations():
    """sqrt(2) from 1 converges in 5 of 6 steps; with 4, 3 and 2 steps left its residuals 6.9e-3, 6.0e-6
    and 4.5e-12 raised to 16, 8 and 4 are below tol = 1e-15, so the rule lets it finish."""
    run = damped_newton(lambda z: z**2 - 2.0, lambda z, f: -f / (2 * z), np.array([1.0]), tol=1e-15, max_iter=6,
                        give_up_early=True)
    assert run.status is NewtonStatus.CONVERGED


def test_give_up_early_must_be_a_bool(random_network):
    from assocrate.errors import InvalidType

    with pytest.raises(InvalidType, match="`give_up_early` must be True or False; got 'yes'"):
        refine_equilibrium(random_network, random_network.memory_rates()[:, 0], give_up_early="yes")


def _newton_system_error(network, slopes, residual, step):
    """Relative residual of the Newton system (-I + D W) step = -F, in float64 through the factors."""
    jacobian_step = -step + slopes * network.weights_matvec(step)
    return float(np.max(np.abs(jacobian_step + residual)) / np.max(np.abs(residual)))


def test_a_newton_step_from_the_float32_gram_solves_the_float64_system():
    """The float32 Gram matrix and one float64 refinement solve the Newton system at N = 2000, P = 200
    to about 1e-12 relative; without the refinement the float32 solve is off by about 1e-6."""
    from assocrate.core import equilibria

    net = design_quietly(random_patterns(2000, 200, 0.2, seed=4), REFERENCE_SIGMOID, -0.3, 0.95)
    x = net.memory_rates()[:, 0]
    h = net.weights_matvec(x)
    slopes, residual = net.activation.dphi(h), net.activation.phi(h) - x
    step = equilibria._newton_step(net, slopes, residual)
    assert _newton_system_error(net, slopes, residual, step) < 1e-10
    from assocrate.core.lowrank import weighted_gram  # the float32-based solve alone, for contrast

    U, c = net.U, net.c
    small = np.eye(c.size) - c[:, None] * weighted_gram(U, slopes, dtype=np.float32).astype(float)
    rough = residual + slopes * (U @ np.linalg.solve(small, c * (U.T @ residual)))
    assert _newton_system_error(net, slopes, residual, rough) > 1e-9


def test_an_unfit_float32_gram_falls_back_to_float64(monkeypatch, random_network):
    """A refinement correction above the threshold (forced: threshold 0) hands the solve to float64: the
    step is then exactly the float64 Woodbury solve."""
    from assocrate.core import equilibria
    from assocrate.core.lowrank import weighted_gram

    x = random_network.memory_rates()[:, 1]
    h = random_network.weights_matvec(x)
    slopes, residual = random_network.activation.dphi(h), random_network.activation.phi(h) - x
    assert equilibria._refined_solve(random_network, slopes, np.ones(random_network.c.size)) is not None
    monkeypatch.setattr(equilibria, "_REFINED", 0.0)
    assert equilibria._refined_solve(random_network, slopes, np.ones(random_network.c.size)) is None
    U, c = random_network.U, random_network.c
    solution = np.linalg.solve(np.eye(c.size) - c[:, None] * weighted_gram(U, slopes), c * (U.T @ residual))
    np.testing.assert_array_equal(equilibria._newton_step(random_network, slopes, residual),
                                  residual + slopes * (U @ solution))


def test_a_singular_float32_system_is_refused_not_warned():
    """I - c U^T D U = 0 exactly (one column of ones, c = 1/N, slopes 1): no float32-based solve (LAPACK's
    info, no LinAlgWarning), and the float64 solve raises, which stalls Newton."""
    from types import SimpleNamespace

    from assocrate.core import equilibria

    n = 8
    fake = SimpleNamespace(U=np.ones((n, 1)), L32=np.ones((n, 1), dtype=np.float32), c=np.array([1.0 / n]),
                           is_symmetric=True)
    assert equilibria._refined_solve(fake, np.ones(n), np.ones(1)) is None
    with pytest.raises(np.linalg.LinAlgError):
        equilibria._newton_step(fake, np.ones(n), np.ones(n))


def test_the_line_search_along_the_mapped_step_takes_the_same_iterates(monkeypatch):
    """refine_equilibrium's line search updates the currents along W s (one product per iteration)
    instead of a product per halving: from a start that needs halvings (input 0.3 moves memory 0 far
    from an equilibrium) it takes the iterates of the plain line search, to rounding, in fewer products."""
    from assocrate.core import equilibria
    from assocrate.core.design import MemoryNetwork

    net = design_quietly(random_patterns(1000, 14, 0.2, seed=0), REFERENCE_SIGMOID, -0.3, 0.95)
    x0, phi, dphi = net.memory_rates()[:, 0], net.activation.phi, net.activation.dphi
    products = []
    matvec = MemoryNetwork.weights_matvec
    monkeypatch.setattr(MemoryNetwork, "weights_matvec", lambda self, x: products.append(1) or matvec(self, x))
    result = refine_equilibrium(net, x0, 0.3, max_iter=12)
    with_line = len(products)
    products.clear()
    plain = damped_newton(
        lambda x: phi(net.weights_matvec(x) + 0.3) - x,
        lambda x, f: equilibria._newton_step(net, dphi(net.weights_matvec(x) + 0.3), f),
        x0, tol=1e-12, max_iter=12,
    )
    assert plain.iterations == result.iterations and plain.status is result.status
    np.testing.assert_allclose(result.x, plain.z, rtol=0, atol=1e-12)
    assert len(products) > 2 * plain.iterations + 1  # the plain search halved: more than 2 products a step
    assert with_line <= 2 * result.iterations + 2
