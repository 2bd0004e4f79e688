"""The energy (Lyapunov) function of the symmetric network and its derivative along trajectories.

DESIGN.md §5 item 1. For symmetric W and non-decreasing phi,

    E(x) = -1/2 x^T W x - u^T x + sum_i Psi(x_i),      Psi(x) = int_{phi(0)}^{x} phi^{-1}(r) dr,

decreases along every trajectory of the rate form ``tau x' = -x + Phi(W x + u)``, so every
trajectory converges to the set of equilibria (LaSalle; [0, 1]^N is compact and forward
invariant) and strict local minima of E are asymptotically stable. The reference point of the
integral is ``h0 = 0``, so ``Psi(phi(0)) = 0``.

Computation (derived). ``x^T W x = sum_j c_j (U_j^T x)^2`` through the factors, O(N P). For
``Psi`` the Legendre identity: with ``F`` the antiderivative of phi (``activation.antiderivative``)
and ``y = phi^{-1}(x)``,

    Psi(x) = [x y - F(y)] - [phi(0) * 0 - F(0)] = x y - F(y) + F(0),

because ``d/dx [x phi^{-1}(x) - F(phi^{-1}(x))] = phi^{-1}(x) + x (phi^{-1})'(x) - phi(phi^{-1}(x))
(phi^{-1})'(x) = phi^{-1}(x)``. The derivative of ``x y - F(y)`` in y is ``x - phi(y) = 0``, so an
error in the computed inverse does not enter to first order.

Current form (derived; the form used for the rectified tanh, whose inverse is multivalued at 0).
Substituting ``r = phi(s)``, ``Psi(phi(h)) = int_0^h s phi'(s) ds = h phi(h) - F(h) + F(0)``, so

    E_c(h) = E(Phi(h)) = -1/2 Phi(h)^T W Phi(h) - u^T Phi(h) + sum_i [h_i phi(h_i) - F(h_i) + F(0)]

needs no inverse at all (Hopfield 1984). Along ``tau h' = f = -h + W Phi(h) + u``,
``dE_c/dt = -sum_i phi'(h_i) f_i^2 / tau <= 0``; along the rate form
``dE/dt = (y - z)^T (Phi(z) - Phi(y)) / tau <= 0`` with ``z = W x + u`` (phi non-decreasing).

Discrete time (derived; the basis of :func:`check_global_convergence`). Let
``lambda_- = max(0, -lambda_min(W))`` and let phi be non-decreasing and ``rho``-Lipschitz. Then
one explicit Euler step of relative size ``s = dt / tau`` in (0, 1] does not increase the energy
when ``s <= s_max = 1 / (1 + rho lambda_- / 2)``; precisely

- rate form, ``x+ = x + s d`` with ``d = Phi(z) - x``:
  ``E(x+) - E(x) <= -s [(1 - s)/rho - s lambda_-/2] |d|^2``;
- current form, ``h+ = h + s (z - h)`` with ``z = W Phi(h) + u`` and ``delta = Phi(h+) - Phi(h)``:
  ``E_c(h+) - E_c(h) <= -[(1 - s)/(s rho) - lambda_-/2] |delta|^2``.

Proof (rate form). The quadratic part changes by ``-s z^T d - s^2/2 d^T W d``, at most
``-s z^T d + s^2 lambda_-/2 |d|^2``. For Psi, ``Psi(x_i + s d_i) - Psi(x_i) = int_0^s
phi^{-1}(x_i + t d_i) d_i dt``; the integrand is non-decreasing in t, so the change is at most
``s w_i d_i`` with ``w_i = phi^{-1}(x_i + s d_i)``. Write ``s w_i d_i = s z_i d_i - s (z_i - w_i)
d_i``. Since ``phi(w_i) = x_i + s d_i`` lies between ``x_i`` and ``phi(z_i)``, we have
``phi(z_i) - phi(w_i) = (1 - s) d_i``, and a non-decreasing rho-Lipschitz phi gives
``(z_i - w_i)(phi(z_i) - phi(w_i)) >= (phi(z_i) - phi(w_i))^2 / rho``; hence
``s (z_i - w_i) d_i >= s (1 - s) d_i^2 / rho``. Summing, the ``s z^T d`` terms cancel and the
bound follows. Current form: the same steps with ``int_{h_i}^{h_i^+} t phi'(t) dt <= h_i^+
delta_i`` (phi' >= 0), ``h^+ - z = (1 - s)(h - z)`` and ``h^+ - h = s (z - h)``, so that
``(z_i - h_i) delta_i >= delta_i^2 / (s rho)``. The rectified tanh is covered: the choice
``phi^{-1}(0) = threshold`` is a valid selection of the multivalued inverse in every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import (
    as_generator,
    check_choice,
    check_positive,
    check_positive_int,
)
from ..core.design import FORMS
from ..errors import InvalidInput

__all__ = [
    "GlobalConvergence",
    "Hypothesis",
    "check_global_convergence",
    "current_energy",
    "energy",
    "energy_along",
    "energy_derivative",
    "energy_gradient",
    "euler_step_bound",
]



# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _check_states(network, X: object, name: str) -> np.ndarray:
    array = np.asarray(X, dtype=float)
    if array.ndim not in (1, 2) or array.shape[0] != network.n_units:
        raise InvalidInput(f"`{name}` must have shape ({network.n_units},) or ({network.n_units}, B); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array


def _check_input(network, u: object) -> np.ndarray | float:
    if u is None:
        return 0.0
    array = np.asarray(u, dtype=float)
    if array.ndim == 0:
        if not np.isfinite(array):
            raise InvalidInput(f"`u` must be finite; got {float(array)!r}")
        return float(array)
    if array.shape != (network.n_units,):
        raise InvalidInput(f"`u` must be a scalar or have shape ({network.n_units},); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput("`u` must be finite; found NaN or inf")
    return array


def _column(u: np.ndarray | float, X: np.ndarray) -> np.ndarray | float:
    return u[:, None] if isinstance(u, np.ndarray) and X.ndim == 2 else u


def _input_dot(u: np.ndarray | float, X: np.ndarray) -> np.ndarray | float:
    if isinstance(u, np.ndarray):
        return u @ X
    return u * X.sum(axis=0)


# ---------------------------------------------------------------------------------------------
# The energy
# ---------------------------------------------------------------------------------------------


def _quadratic(network, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x^T W x`` per column and ``U^T X`` (reused for ``W X``)."""
    coefficients = network.U.T @ X
    weighted = coefficients * (network.c[:, None] if X.ndim == 2 else network.c)
    return np.sum(weighted * coefficients, axis=0), weighted


def _psi_of_current(activation, H: np.ndarray) -> np.ndarray:
    """``Psi(phi(h)) = h phi(h) - F(h) + F(0)``."""
    return H * activation.phi(H) - activation.antiderivative(H) + float(activation.antiderivative(0.0))


def _psi_of_rate(activation, X: np.ndarray) -> np.ndarray:
    """``Psi(x) = x y - F(y) + F(0)`` with ``y = phi^{-1}(x)`` (the Legendre identity).

    Rates at the ends of the domain (0 or 1 for the sigmoid, 1 for the rectified tanh, where
    ``phi^{-1}`` is infinite) are moved inside by one ulp; Psi is continuous there, so the error
    is of the order of ``|y| * 1e-16``.
    """
    upper = np.nextafter(1.0, 0.0)
    lower = np.nextafter(0.0, 1.0) if activation.name == "sigmoid" else 0.0
    inside = np.clip(X, lower, upper)
    Y = activation.inverse(inside)
    return inside * Y - activation.antiderivative(Y) + float(activation.antiderivative(0.0))


def _check_rates(network, X: np.ndarray) -> None:
    if np.any(X < 0.0) or np.any(X > 1.0):
        raise InvalidInput("`x` must hold rates in [0, 1] (the domain of phi^-1); use current_energy for currents")


def energy(network, x: np.ndarray, u: float | np.ndarray | None = None) -> float | np.ndarray:
    """The energy ``E(x) = -1/2 x^T W x - u^T x + sum_i int_{phi(0)}^{x_i} phi^{-1}``.

    Parameters
    ----------
    network : MemoryNetwork
        W must be symmetric (it is for every design: ``W = U C U^T`` with C diagonal).
    x : numpy.ndarray, shape (N,) or (N, B)
        Rates in [0, 1] (one state per column).
    u : float or numpy.ndarray of shape (N,), optional
        Constant input.

    Returns
    -------
    float, or numpy.ndarray of shape (B,)

    Notes
    -----
    O(N P) per state, through the factors; the integral by the Legendre identity
    ``x phi^{-1}(x) - F(phi^{-1}(x)) + F(0)`` (module docstring; DESIGN.md §5 item 1).

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns, uniform_states
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> quiescent = uniform_states(net)[0].rate * np.ones(net.n_units)
    >>> bool(energy(net, net.memory_rates()[:, 0]) < energy(net, quiescent))
    True
    """
    X = _check_states(network, x, "x")
    _check_rates(network, X)
    u_vec = _check_input(network, u)
    quadratic, _ = _quadratic(network, X)
    value = -0.5 * quadratic - _input_dot(u_vec, X) + _psi_of_rate(network.activation, X).sum(axis=0)
    return float(value) if X.ndim == 1 else value


def current_energy(network, h: np.ndarray, u: float | np.ndarray | None = None) -> float | np.ndarray:
    """The energy in current units, ``E_c(h) = E(Phi(h))``, with no inverse of phi.

    ``E_c(h) = -1/2 Phi(h)^T W Phi(h) - u^T Phi(h) + sum_i [h_i phi(h_i) - F(h_i) + F(0)]``
    (module docstring). Use it for the rectified tanh and for the current form.

    Parameters
    ----------
    network : MemoryNetwork
    h : numpy.ndarray, shape (N,) or (N, B)
        Currents.
    u : float or numpy.ndarray of shape (N,), optional

    Returns
    -------
    float, or numpy.ndarray of shape (B,)

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> h = net.memory_currents()[:, 1]
    >>> bool(abs(current_energy(net, h) - energy(net, net.activation.phi(h))) < 1e-9)
    True
    """
    H = _check_states(network, h, "h")
    u_vec = _check_input(network, u)
    X = network.activation.phi(H)
    quadratic, _ = _quadratic(network, X)
    value = -0.5 * quadratic - _input_dot(u_vec, X) + _psi_of_current(network.activation, H).sum(axis=0)
    return float(value) if H.ndim == 1 else value


def energy_gradient(network, x: np.ndarray, u: float | np.ndarray | None = None) -> np.ndarray:
    """``grad E(x) = -W x - u + phi^{-1}(x)`` (rates strictly inside the domain of phi^-1).

    Zero exactly at the equilibria of the rate form (``phi^{-1}(x) = W x + u``).

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> bool(np.max(np.abs(energy_gradient(net, net.memory_rates()[:, 0]))) < 1e-9)
    True
    """
    X = _check_states(network, x, "x")
    _check_rates(network, X)
    u_vec = _check_input(network, u)
    return network.activation.inverse(X) - network.weights_matvec(X) - _column(u_vec, X)


def energy_derivative(
    network, state: np.ndarray, u: float | np.ndarray | None = None, *, form: str = "rate"
) -> float | np.ndarray:
    """``dE/dt`` along the flow at `state` (always <= 0 for non-decreasing phi).

    Parameters
    ----------
    network : MemoryNetwork
    state : numpy.ndarray, shape (N,) or (N, B)
        Rates (``form="rate"``) or currents (``form="current"``).
    u : float or numpy.ndarray of shape (N,), optional
    form : {"rate", "current"}, default "rate"

    Returns
    -------
    float, or numpy.ndarray of shape (B,)

    Notes
    -----
    Rate form: ``(y - z)^T (Phi(z) - x) / tau`` with ``y = phi^{-1}(x)``, ``z = W x + u``; each
    term is a product of two differences of the same sign. Current form:
    ``-sum_i phi'(h_i) f_i^2 / tau`` with ``f = -h + W Phi(h) + u``.

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> x = np.random.default_rng(0).random((1000, 5))
    >>> bool(np.all(energy_derivative(net, x) <= 0))
    True
    """
    form = check_choice("form", form, FORMS)
    S = _check_states(network, state, "state")
    u_vec = _check_input(network, u)
    phi = network.activation.phi
    if form == "rate":
        _check_rates(network, S)
        Z = network.weights_matvec(S) + _column(u_vec, S)
        Y = network.activation.inverse(np.clip(S, 0.0, np.nextafter(1.0, 0.0)))
        value = np.sum((Y - Z) * (phi(Z) - S), axis=0) / network.tau
    else:
        F = -S + network.weights_matvec(phi(S)) + _column(u_vec, S)
        value = -np.sum(network.activation.dphi(S) * F**2, axis=0) / network.tau
    return float(value) if S.ndim == 1 else value


def energy_along(
    network, trajectory, *, u: float | np.ndarray | None = None, form: str | None = None
) -> np.ndarray:
    """The energy at every recorded state of a trajectory.

    Parameters
    ----------
    network : MemoryNetwork
    trajectory : numpy.ndarray of shape (T, N) or (T, N, B), or a simulation result
        States in time order. An object with ``states`` (and ``form``) attributes, such as
        :class:`assocrate.dynamics.SimulationResult`, is accepted.
    u : float or numpy.ndarray of shape (N,), optional
        The (constant) input of the trajectory.
    form : {"rate", "current"}, optional
        Whether the states are rates or currents; default the result's ``form``, else "rate".

    Returns
    -------
    numpy.ndarray, shape (T,) or (T, B)

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> x = np.random.default_rng(0).random(1000)
    >>> states = [x]
    >>> for _ in range(50):
    ...     x = x + 0.1 * (net.activation.phi(net.weights_matvec(x)) - x)
    ...     states.append(x)
    >>> bool(np.all(np.diff(energy_along(net, np.array(states))) <= 1e-9))
    True
    """
    states = getattr(trajectory, "states", trajectory)
    if form is None:
        form = getattr(trajectory, "form", "rate")
    form = check_choice("form", form, FORMS)
    array = np.asarray(states, dtype=float)
    if array.ndim not in (2, 3) or array.shape[1] != network.n_units:
        raise InvalidInput(
            f"`trajectory` must have shape (T, {network.n_units}) or (T, {network.n_units}, B); got {array.shape}"
        )
    evaluate = energy if form == "rate" else current_energy
    return np.array([evaluate(network, state, u) for state in array])


# ---------------------------------------------------------------------------------------------
# The global convergence statement
# ---------------------------------------------------------------------------------------------


def euler_step_bound(network) -> float:
    """``s_max = 1 / (1 + rho lambda_- / 2)``: Euler steps ``dt <= s_max tau`` never increase E.

    ``rho`` is the maximal slope of phi and ``lambda_- = max(0, -lambda_min(W))`` (module
    docstring for the proof).

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> round(euler_step_bound(net), 4)  # lambda_min(W) = gamma = -0.25
    0.625
    """
    lambda_minus = max(0.0, -float(network.eigenvalues_of_weights().values[0]))
    return 1.0 / (1.0 + network.activation.max_slope * lambda_minus / 2.0)


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of the energy theorem and whether it holds.

    Attributes
    ----------
    name : str
    holds : bool
    detail : str
        How it was checked.
    """

    name: str
    holds: bool
    detail: str


@dataclass(frozen=True, repr=False)
class GlobalConvergence:
    """The energy argument for a network: its hypotheses and a check on sampled trajectories.

    Attributes
    ----------
    hypotheses : tuple of Hypothesis
        Symmetric W, non-decreasing phi, states in the domain of the energy, tau > 0.
    form : str
        ``"rate"`` (sigmoid) or ``"current"`` (rectified tanh) — where the trajectories were run.
    n_trajectories, n_steps : int
    dt : float
        Euler step used (``<= step_bound * tau``).
    step_bound : float
        ``s_max`` of :func:`euler_step_bound`.
    max_increase : float
        Largest ``E_{k+1} - E_k`` observed over all steps and trajectories (negative: strict
        decrease everywhere).
    tolerance : float
        Float round-off allowance: a step counts as non-increasing if ``E_{k+1} <= E_k + tolerance``.
    final_speed : float
        ``max ||f||_inf`` at the last step (how close to equilibria the samples ended).
    seed : int or None
    """

    hypotheses: tuple[Hypothesis, ...]
    form: str
    n_trajectories: int
    n_steps: int
    dt: float
    step_bound: float
    max_increase: float
    tolerance: float
    final_speed: float
    seed: int | None

    @property
    def hypotheses_hold(self) -> bool:
        """Whether every hypothesis holds (then the theorem applies to every trajectory)."""
        return all(h.holds for h in self.hypotheses)

    @property
    def decreasing(self) -> bool:
        """Whether E was non-increasing (within `tolerance`) at every sampled step."""
        return self.max_increase <= self.tolerance

    @property
    def holds(self) -> bool:
        """Hypotheses hold and the samples agree."""
        return self.hypotheses_hold and self.decreasing

    def summary(self) -> str:
        """The statement, each hypothesis, and the sampled check."""
        verdict = (
            "every trajectory converges to the set of equilibria (energy theorem, DESIGN.md §5 item 1)"
            if self.hypotheses_hold
            else "the energy theorem does not apply: a hypothesis fails"
        )
        lines = [f"Global convergence: {verdict}"]
        for h in self.hypotheses:
            lines.append(f"  [{'holds' if h.holds else 'FAILS'}] {h.name}: {h.detail}")
        lines.append(
            f"  sampled: {self.n_trajectories} trajectories ({self.form} form), {self.n_steps} Euler steps of "
            f"dt={self.dt:.4g} (energy-monotone bound {self.step_bound:.4g} tau); max E increase "
            f"{self.max_increase:.3g} (tolerance {self.tolerance:.1e}): "
            f"{'E non-increasing at every step' if self.decreasing else 'E INCREASED'}; final ||f|| {self.final_speed:.2g}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"GlobalConvergence(hypotheses_hold={self.hypotheses_hold}, decreasing={self.decreasing}, "
            f"form={self.form!r}, n_trajectories={self.n_trajectories}, max_increase={self.max_increase:.3g})"
        )


def _hypotheses(network) -> tuple[Hypothesis, ...]:
    c = np.asarray(network.c)
    off_diagonal = int(np.count_nonzero(network.C - np.diag(c)))
    symmetric = Hypothesis(
        "W symmetric",
        off_diagonal == 0,
        "exact: W = U C U^T with C diagonal (checked entry by entry)"
        if off_diagonal == 0
        else f"C has {off_diagonal} nonzero off-diagonal entries",
    )
    activation = network.activation
    known = activation.name in ("sigmoid", "tanh")
    # A spot check of what the activation's formula guarantees (float saturates to 1 further out).
    grid = np.linspace(activation.threshold - 3.0, activation.threshold + 3.0 / activation.rho, 2001)
    values = activation.phi(grid)
    monotone = known and bool(np.all(np.diff(values) >= 0.0))
    increasing = Hypothesis(
        "phi non-decreasing",
        monotone,
        "sigmoid: strictly increasing" if activation.name == "sigmoid"
        else "rectified tanh: non-decreasing (flat below the threshold)",
    )
    inside = known and bool(np.all((values >= 0.0) & (values < 1.0)))
    domain = Hypothesis(
        "rates in the domain of phi^-1",
        inside,
        "phi maps R into (0, 1), so (0, 1)^N is forward invariant" if activation.name == "sigmoid"
        else "phi maps R into [0, 1); phi^-1 is multivalued at 0, so the current form E_c(h) = E(Phi(h)) is used",
    )
    tau = Hypothesis("tau > 0", network.tau > 0, f"tau = {network.tau:g}")
    return (symmetric, increasing, domain, tau)


def check_global_convergence(
    network,
    *,
    u: float | np.ndarray | None = None,
    n_trajectories: int = 100,
    t_max: float = 20.0,
    dt: float | None = None,
    seed: int | np.random.Generator | None = 0,
) -> GlobalConvergence:
    """State the energy theorem's hypotheses for `network` and check E on sampled trajectories.

    Parameters
    ----------
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        Constant input.
    n_trajectories : int, default 100
        Random starts: rates uniform in (0, 1)^N (rate form), or currents ``W x + u`` plus
        standard normal noise (current form).
    t_max : float, default 20.0
        Simulated time, in units of tau.
    dt : float, optional
        Euler step; default ``step_bound / 2 * tau``. Must not exceed
        ``step_bound * tau`` (:func:`euler_step_bound`), the step below which the Euler map itself
        provably does not increase E.
    seed : int, numpy.random.Generator or None, default 0

    Returns
    -------
    GlobalConvergence

    Notes
    -----
    The sigmoid is run in the rate form with E; the rectified tanh in the current form with
    ``E_c = E o Phi`` (phi^-1 is multivalued at 0). The tolerance is
    ``1e-12 * (N + max |E|)``, a generous bound on the round-off of one energy evaluation.

    Examples
    --------
    >>> from assocrate import Sigmoid, design, equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = check_global_convergence(net, n_trajectories=5, t_max=5.0)
    >>> result.hypotheses_hold, result.decreasing
    (True, True)
    """
    n_trajectories = check_positive_int("n_trajectories", n_trajectories)
    t_max = check_positive("t_max", t_max)
    u_vec = _check_input(network, u)
    bound = euler_step_bound(network)
    tau = network.tau
    if dt is None:
        dt = bound / 2.0 * tau
    dt = check_positive("dt", dt)
    if dt > bound * tau * (1 + 1e-12):
        raise InvalidInput(
            f"`dt` must be <= step_bound * tau = {bound * tau:.6g} (the largest Euler step that provably "
            f"does not increase the energy); got dt={dt!r}"
        )
    seed_record = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    rng = as_generator(seed)
    activation = network.activation
    form = "rate" if activation.name == "sigmoid" else "current"
    n_steps = int(math.ceil(t_max * tau / dt))
    s = dt / tau
    U, c = network.U, network.c
    u_col = u_vec[:, None] if isinstance(u_vec, np.ndarray) else u_vec
    X = rng.random((network.n_units, n_trajectories))
    if form == "current":
        state = network.weights_matvec(X) + u_col + rng.standard_normal(X.shape)
    else:
        state = X

    def evaluate(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rates = S if form == "rate" else activation.phi(S)
        coefficients = U.T @ rates
        weighted = coefficients * c[:, None]
        psi = _psi_of_rate(activation, rates) if form == "rate" else _psi_of_current(activation, S)
        E = -0.5 * np.sum(weighted * coefficients, axis=0) - _input_dot(u_vec, rates) + psi.sum(axis=0)
        drive = U @ weighted + u_col  # W x + u
        return E, drive

    E, drive = evaluate(state)
    largest = float(np.max(np.abs(E)))
    max_increase = -np.inf
    speed = np.inf
    for _ in range(n_steps):
        if form == "rate":
            step = activation.phi(drive) - state
        else:
            step = drive - state
        speed = float(np.max(np.abs(step)))
        state = state + s * step
        E_next, drive = evaluate(state)
        max_increase = max(max_increase, float(np.max(E_next - E)))
        largest = max(largest, float(np.max(np.abs(E_next))))
        E = E_next
    tolerance = 1e-12 * (network.n_units + largest)
    return GlobalConvergence(
        hypotheses=_hypotheses(network),
        form=form,
        n_trajectories=n_trajectories,
        n_steps=n_steps,
        dt=float(dt),
        step_bound=bound,
        max_increase=max_increase,
        tolerance=tolerance,
        final_speed=speed,
        seed=seed_record,
    )
