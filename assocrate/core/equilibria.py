"""Equilibria of ``tau x' = -x + Phi(W x + u)``: design residuals, Newton refinement, uniform states.

Newton steps solve with ``J = -I + D U C U^T`` through the Woodbury identity, O(N P^2) per
iteration (theory.md §3).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg.lapack
import scipy.optimize

from .._validation import check_index, check_input, check_positive, check_positive_int
from ..errors import InvalidInput, InvalidType
from .design import MemoryNetwork
from .lowrank import weighted_gram
from .threads import blas_threads_for, single_threaded_blas

__all__ = [
    "EquilibriumResult",
    "NewtonStatus",
    "UniformState",
    "equilibrium_residual",
    "fixed_point_residual",
    "refine_equilibrium",
    "uniform_states",
]


def equilibrium_residual(network: MemoryNetwork, mu: int | None = None) -> float | np.ndarray:
    """Design residual ``max_i |(W x^mu - h^mu)_i|`` of the rescaled memory `mu`.

    Zero (to round-off) for the exact design; non-zero for patterns with unequal sizes or overlaps.

    Parameters
    ----------
    network : MemoryNetwork
    mu : int, optional
        Memory index; all memories when omitted.

    Returns
    -------
    float, or numpy.ndarray of shape (P,) when `mu` is None

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> bool(equilibrium_residual(net, 0) < 1e-12)
    True
    """
    if mu is None:
        rates, currents = network.memory_rates(), network.memory_currents()
        return np.max(np.abs(network.weights_matvec(rates) - currents), axis=0)
    mu = check_index("mu", mu, network.n_patterns)
    rate = network.memory_rates()[:, mu]
    return float(np.max(np.abs(network.weights_matvec(rate) - network.memory_currents()[:, mu])))


def _input_vector(network: MemoryNetwork, u: float | np.ndarray | None) -> np.ndarray | float:
    return check_input("u", u, network.n_units)


def fixed_point_residual(network: MemoryNetwork, x: np.ndarray, u: float | np.ndarray | None = None) -> float:
    """``max_i |-x_i + phi((W x + u)_i)|``: zero exactly at an equilibrium of the rate form."""
    x = np.asarray(x, dtype=float)
    return float(np.max(np.abs(network.activation.phi(network.weights_matvec(x) + _input_vector(network, u)) - x)))


class NewtonStatus(enum.Enum):
    """Outcome of :func:`refine_equilibrium`; each value says what to do."""

    CONVERGED = "converged"
    MAX_ITERATIONS = "no convergence within max_iter: increase max_iter or start closer to an equilibrium"
    STALLED = "line search stalled: the start is far from an equilibrium or the Jacobian is singular there"
    STAGNATED = (
        "residual stagnated (it fell by less than 10 % over 10 iterations): the start is probably not near an "
        "equilibrium, or tol is below the round-off of the residual"
    )
    OUT_OF_REACH = (
        "given up in the last iterations: the residual was too large to reach tol in the iterations left even if "
        "each squared it; increase max_iter or start closer to an equilibrium"
    )


@dataclass(frozen=True, repr=False)
class EquilibriumResult:
    """A located equilibrium of the rate form.

    Attributes
    ----------
    x : numpy.ndarray, shape (N,)
        Rates at the equilibrium.
    h : numpy.ndarray, shape (N,)
        Currents ``W x + u``.
    residual : float
        ``max |-x + phi(W x + u)|``.
    iterations : int
        Newton iterations taken.
    status : NewtonStatus
    """

    x: np.ndarray
    h: np.ndarray
    residual: float
    iterations: int
    status: NewtonStatus

    @property
    def success(self) -> bool:
        """Whether the tolerance was reached."""
        return self.status is NewtonStatus.CONVERGED

    def summary(self) -> str:
        """One line: status, residual, iterations."""
        return f"equilibrium: {self.status.value}; residual {self.residual:.3g} after {self.iterations} iterations"

    def __repr__(self) -> str:
        return f"EquilibriumResult(status={self.status.name}, residual={self.residual:.3g}, iterations={self.iterations})"


# Step halvings before the line search gives up (damped_newton's default).
_HALVINGS = 40
# Stagnation (tol > 0 only): over this many accepted iterations the residual must fall at least to
# `_STAGNATION_FACTOR` of its value. Damped Newton far from an equilibrium can creep for a few
# iterations before its quadratic phase (an approximate digits design takes 15 iterations from
# x̄^0 to memory 5's equilibrium, with little progress in the first 4), so the window is not short.
_STAGNATION_WINDOW = 10
_STAGNATION_FACTOR = 0.9
# Out of reach (``give_up_early``): in the last `_REACH_WINDOW` iterations, and only after that many,
# the run stops when even quadratic convergence from the current residual (each iteration squaring
# it) would not reach tol in the iterations left. Newton's own bound is ``|F| -> K |F|^2`` with K
# unknown and possibly far below 1, so this is a rule of thumb that can give up on a run that would
# have converged (a first version, checking from the first iteration on, did so with max_iter 4
# and 5 on random starts); it is checked where it is used, with max_iter 8: at N = 2000,
# P = 200-300 the converging runs had residuals 0.12 and 0.0098 four and three iterations before
# their last (thresholds 0.18 and 0.032 for tol = 1e-12), and with the rule the 64 cells of
# `assocrate capacity --n 2000 --loads 0.01:0.15:8 --trials 8` counted the same equilibria as
# without it.
_REACH_WINDOW = 4


def _newton_step(network: MemoryNetwork, slopes: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Solve ``(-I + D U C U^T) dx = -F`` by Woodbury: ``dx = F + D U (I - C U^T D U)^{-1} C U^T F``.

    For a non-symmetric ``W = L C R^T``: ``dx = F + D L (I - C R^T D L)^{-1} C R^T F``.
    """
    if not network.is_symmetric:
        L, R, c = network.L, network.R, network.c
        small = _capacitance(c, R.T @ (slopes[:, None] * L))
        with single_threaded_blas():  # m x m: one thread (assocrate.core.threads)
            solution = np.linalg.solve(small, c * (R.T @ residual))
        return residual + slopes * (L @ solution)
    U, c = network.U, network.c
    rhs = c * (U.T @ residual)
    solution = _refined_solve(network, slopes, rhs)
    if solution is None:  # the float32 Gram matrix was not good enough to refine from: float64 throughout
        small = _capacitance(c, weighted_gram(U, slopes))
        with single_threaded_blas():  # (P+1) x (P+1): one thread (assocrate.core.threads)
            solution = np.linalg.solve(small, rhs)  # raises only if singular, never warns
    return residual + slopes * (U @ solution)


def _capacitance(c: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """Woodbury's m x m matrix ``I - C R^T D L`` of a Newton step, from ``gram = R^T D L``."""
    return np.eye(c.size) - c[:, None] * gram


# A float32-based Newton step (_refined_solve) is refined once in float64 and kept when that correction
# was at most this fraction of the solution (the error left is then about its square).
_REFINED = 1e-3


def _refined_solve(network: MemoryNetwork, slopes: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``(I - C U^T D U)^{-1} rhs`` from a float32 Gram matrix and one float64 refinement; None if unfit.

    The Gram matrix is the O(N m^2) part of a Newton step; in float32 (ssyrk) it takes half the
    time and is off by about 1e-6 relative. One refinement step computes the residual of the
    float64 system in O(N m) (two products with U) and corrects the solution with the LU factors of
    the float32-based matrix; the correction is the size of the first solve's error, and the
    error left is about its square. The step is kept when the correction is at most 1e-3 of the
    solution, so it solves the Newton system to about 1e-6 relative or better: an inexact Newton
    step, whose local convergence stays fast, while convergence itself is still decided by the
    float64 residual. Otherwise (an ill-conditioned Jacobian, a singular float32-based matrix)
    the caller solves in float64. In the Newton runs of a capacity cell at N = 2000, P = 300 the
    correction was 2.5e-6 of the solution at the median, 2e-5 at the 90th percentile, 0.02 at worst.
    """
    U, c = network.U, network.c  # symmetric W: U is network.L, whose float32 copy is network.L32
    small = _capacitance(c, weighted_gram(network.L32, slopes, dtype=np.float32).astype(float))
    with single_threaded_blas():  # (P+1) x (P+1): one thread (assocrate.core.threads)
        lu, pivots, info = scipy.linalg.lapack.dgetrf(small)  # LAPACK itself: a singular matrix is info > 0
        if info != 0 or not np.all(np.isfinite(lu)):
            return None
        solution = scipy.linalg.lapack.dgetrs(lu, pivots, rhs)[0]
    exact = solution - c * (U.T @ (slopes * (U @ solution)))  # O(N m): the caller's thread policy
    with single_threaded_blas():
        correction = scipy.linalg.lapack.dgetrs(lu, pivots, rhs - exact)[0]
    solution += correction
    if not np.max(np.abs(correction)) <= _REFINED * np.max(np.abs(solution)):
        return None
    return solution


@dataclass(frozen=True)
class NewtonRun:
    """What :func:`damped_newton` returns.

    Attributes
    ----------
    z : numpy.ndarray
        The last accepted iterate (also the one with the smallest ``max |F|``; with `line`, up to
        the rounding between the line's residual and `residual`).
    residual : numpy.ndarray
        ``F(z)``.
    iterations : int
        Newton iterations taken, counting the one that stalled.
    status : NewtonStatus
    """

    z: np.ndarray
    residual: np.ndarray
    iterations: int
    status: NewtonStatus


def damped_newton(
    residual: Callable[[np.ndarray], np.ndarray],
    newton_step: Callable[[np.ndarray, np.ndarray], np.ndarray],
    start: np.ndarray,
    *,
    tol: float,
    max_iter: int,
    max_halvings: int = _HALVINGS,
    give_up_early: bool = False,
    line: Callable[[np.ndarray, np.ndarray], Callable[[float, np.ndarray], np.ndarray]] | None = None,
) -> NewtonRun:
    """Damped Newton for ``F(z) = 0``: ``z <- z + s``, ``s = newton_step(z, F(z))`` halved until ``max |F|`` drops.

    The one Newton loop of the package (internal; not in ``__all__``): :func:`refine_equilibrium`
    runs it on the rates of the full network, ``stability.regional.class_equilibrium`` on the
    currents of the row-type classes.

    Parameters
    ----------
    residual : callable
        ``F(z)``.
    newton_step : callable
        ``(z, F(z)) -> s`` with ``J(z) s = -F(z)``; a ``numpy.linalg.LinAlgError`` (singular
        system) stalls the run.
    start : numpy.ndarray
        Not modified.
    tol : float
        Converged when ``max |F| <= tol`` (0: iterate until the residual stops decreasing).
        With ``tol > 0`` the run also gives up (``STAGNATED``) when ``max |F|`` has fallen by less
        than 10 % over the last 10 iterations.
    max_iter : int
        At most this many Newton steps.
    max_halvings : int, default 40
        Step halvings without a decrease before the run stalls (``STALLED``).
    give_up_early : bool, default False
        With ``tol > 0``: stop (``OUT_OF_REACH``) in the last 4 of the `max_iter` iterations, once 4
        have been taken, when ``max |F| ** (2 ** left) > tol``, ``left`` the iterations left: not
        even a residual squared by every step would reach `tol`. A rule of thumb for many starts of
        which most fail: a step can do better than square the residual, so it may give up on a run
        that would have converged.
    line : callable, optional
        ``line(z, s)`` returns ``F_along(t, z + t s)`` = ``F(z + t s)``, which the line search
        calls for t = 1, 1/2, 1/4, ... when it is cheaper than `residual` (a residual through a
        linear map: the map of `s` once, then one update per halving); the accepted point's
        residual is then evaluated by `residual`.

    Returns
    -------
    NewtonRun

    Examples
    --------
    >>> run = damped_newton(lambda z: z**2 - 2.0, lambda z, f: -f / (2 * z), np.array([1.0]), tol=1e-15, max_iter=20)
    >>> run.status.name, bool(abs(run.z[0] - 2**0.5) < 1e-15)
    ('CONVERGED', True)
    """
    z = start
    f = residual(z)
    norm = float(np.max(np.abs(f)))
    history = [norm]
    for iteration in range(max_iter):
        if norm <= tol:
            return NewtonRun(z, f, iteration, NewtonStatus.CONVERGED)
        if tol > 0.0 and len(history) > _STAGNATION_WINDOW and norm > _STAGNATION_FACTOR * history[-1 - _STAGNATION_WINDOW]:
            return NewtonRun(z, f, iteration, NewtonStatus.STAGNATED)
        left = max_iter - iteration
        if give_up_early and tol > 0.0 and iteration >= _REACH_WINDOW and left <= _REACH_WINDOW \
                and norm > tol ** (0.5**left):  # norm ** (2 ** left) > tol, without overflow
            return NewtonRun(z, f, iteration, NewtonStatus.OUT_OF_REACH)
        try:
            step = newton_step(z, f)
        except np.linalg.LinAlgError:
            return NewtonRun(z, f, iteration + 1, NewtonStatus.STALLED)
        along = None if line is None else line(z, step)
        scale = 1.0  # a power of two: z + scale * step is the sum the halved step gives
        for _ in range(max_halvings):
            candidate = z + scale * step
            f_new = residual(candidate) if along is None else along(scale, candidate)
            norm_new = float(np.max(np.abs(f_new)))
            if norm_new < norm:
                break
            scale *= 0.5
        else:
            return NewtonRun(z, f, iteration + 1, NewtonStatus.STALLED)
        if along is not None:  # the accepted point's residual, evaluated directly
            f_new = residual(candidate)
            norm_new = float(np.max(np.abs(f_new)))
        z, f, norm = candidate, f_new, norm_new
        history.append(norm)
    return NewtonRun(z, f, max_iter, NewtonStatus.CONVERGED if norm <= tol else NewtonStatus.MAX_ITERATIONS)


def refine_equilibrium(
    network: MemoryNetwork,
    x0: np.ndarray,
    u: float | np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 50,
    give_up_early: bool = False,
) -> EquilibriumResult:
    """Locate an equilibrium of ``-x + Phi(W x + u) = 0`` by damped Newton from `x0`.

    Parameters
    ----------
    network : MemoryNetwork
    x0 : numpy.ndarray, shape (N,)
        Starting rates, e.g. ``network.memory_rates()[:, mu]``.
    u : float or numpy.ndarray of shape (N,), optional
        Constant input.
    tol : float, default 1e-12
        Stop when ``max |-x + phi(W x + u)| <= tol``.
    max_iter : int, default 50
    give_up_early : bool, default False
        Stop (``OUT_OF_REACH``) in the last 4 iterations (after the first 4) when the residual is
        too large to reach `tol` in the iterations left even if each step squared it: saves the
        Gram matrices of starts that are not near an equilibrium when many starts are tried
        (:func:`assocrate.sweeps.capacity` beyond capacity). A rule of thumb: it may give up on
        a run that would have converged.

    Returns
    -------
    EquilibriumResult
        Failure to converge is a status, not an exception.

    Notes
    -----
    Each step solves with the Jacobian ``-I + D W`` (D = diag phi'(h)) through the Woodbury
    identity in O(N P^2), then halves the step until the residual decreases (at most 40 times,
    else ``STALLED``). The run gives up early (``STAGNATED``) when the residual has fallen by less
    than 10 % over 10 iterations: from a start that is not near an equilibrium, damped Newton would
    otherwise spend all `max_iter` iterations (and their halvings) going nowhere.

    Examples
    --------
    >>> import warnings
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import random_patterns
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     net = design(random_patterns(1000, 14, 0.2, seed=0), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> eq = refine_equilibrium(net, net.memory_rates()[:, 0])
    >>> eq.success, bool(eq.residual <= 1e-12)
    (True, True)
    """
    x = np.array(x0, dtype=float)
    if x.shape != (network.n_units,):
        raise InvalidInput(f"`x0` must have shape ({network.n_units},); got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InvalidInput("`x0` must be finite")
    tol = check_positive("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    if not isinstance(give_up_early, bool):
        raise InvalidType(f"`give_up_early` must be True or False; got {give_up_early!r}")
    u_vec = _input_vector(network, u)
    phi, dphi = network.activation.phi, network.activation.dphi

    last = {}  # the point whose currents were computed last, and those currents

    def currents(x_: np.ndarray) -> np.ndarray:
        if last.get("x") is not x_:  # the Newton step at x_ follows its residual: one product, not two
            last.update(x=x_, h=network.weights_matvec(x_) + u_vec)
        return last["h"]

    def line(x_: np.ndarray, step: np.ndarray) -> Callable[[float, np.ndarray], np.ndarray]:
        # currents along the step: W (x + t s) + u = (W x + u) + t (W s), one product for all halvings
        h_x, direction = currents(x_), network.weights_matvec(step)
        return lambda t, candidate: phi(h_x + t * direction) - candidate

    m = network.c.size
    with blas_threads_for(network.n_units, m, m):  # the Gram matrix is the largest product of a step
        run = damped_newton(
            lambda x_: phi(currents(x_)) - x_,
            lambda x_, f_: _newton_step(network, dphi(currents(x_)), f_),
            x,
            tol=tol,
            max_iter=max_iter,
            give_up_early=give_up_early,
            line=line,
        )
    x, h = run.z, currents(run.z)
    x.flags.writeable = False
    h.flags.writeable = False
    residual = float(np.max(np.abs(run.residual)))
    return EquilibriumResult(x=x, h=h, residual=residual, iterations=run.iterations, status=run.status)


@dataclass(frozen=True)
class UniformState:
    """A uniform equilibrium ``s 1`` (``s = phi(gamma s)``) and its stability.

    Attributes
    ----------
    rate : float
        s.
    current : float
        ``gamma s``.
    kind : str
        ``"quiescent"``, ``"intermediate"`` or ``"all-on"``.
    max_eigenvalue : float
        Largest Jacobian eigenvalue ``(-1 + phi'(gamma s) max(lambda_max(W), 0)) / tau``.
    stable : bool
        ``max_eigenvalue < 0``.
    """

    rate: float
    current: float
    kind: str
    max_eigenvalue: float
    stable: bool


def uniform_states(network: MemoryNetwork, *, grid: int = 4097) -> tuple[UniformState, ...]:
    """All uniform equilibria ``s 1`` with ``s = phi(gamma s)`` (since ``W 1 = gamma 1``).

    Roots are bracketed on a grid of [0, 1] and polished with Brent's method; a root where
    ``phi(gamma s) - s`` touches zero without crossing can be missed (a non-generic case). Computed
    once per network and grid (:meth:`~assocrate.core.design.MemoryNetwork.derived`).

    Returns
    -------
    tuple of UniformState
        Sorted by rate. gamma < 0 gives exactly one (quiescent) state; gamma > 0 can add an unstable
        intermediate and a stable all-on state.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> xi = equal_overlap_patterns(1000, 0.2)
    >>> [s.kind for s in uniform_states(design(xi, Sigmoid(4.8, 0.2), -0.3, 0.95))]
    ['quiescent']
    >>> [s.kind for s in uniform_states(design(xi, Sigmoid(4.8, 0.2), 0.1, 0.95))]
    ['quiescent', 'intermediate', 'all-on']
    """
    grid = check_positive_int("grid", grid, minimum=3)
    if network.rule != "betteti":
        raise InvalidInput(
            f"uniform states need W 1 = gamma 1, which holds for rule='betteti' only; got rule={network.rule!r}"
        )
    return network.derived(f"uniform states on a grid of {grid}", lambda: _uniform_states(network, grid))


def _uniform_states(network: MemoryNetwork, grid: int) -> tuple[UniformState, ...]:
    gamma, phi = network.gamma, network.activation.phi

    def gap(s: float) -> float:
        return float(phi(gamma * s)) - s

    points = np.linspace(0.0, 1.0, grid)
    values = phi(gamma * points) - points
    roots = []
    for i in range(grid - 1):
        if values[i] == 0.0:
            roots.append(points[i])
        elif values[i] * values[i + 1] < 0.0:
            roots.append(scipy.optimize.brentq(gap, points[i], points[i + 1], xtol=1e-15, rtol=1e-15))
    lambda_max = max(network.eigenvalues_of_weights().max, 0.0)
    states = []
    for i, s in enumerate(roots):
        if len(roots) == 1:
            kind = "quiescent" if s < 0.5 else "all-on"
        else:
            kind = "quiescent" if i == 0 else "all-on" if i == len(roots) - 1 else "intermediate"
        eigenvalue = (-1.0 + float(network.activation.dphi(gamma * s)) * lambda_max) / network.tau
        states.append(UniformState(float(s), float(gamma * s), kind, eigenvalue, eigenvalue < 0.0))
    return tuple(states)
