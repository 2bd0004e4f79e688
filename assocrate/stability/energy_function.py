"""The energy (Lyapunov) function of the symmetric network and its derivative along trajectories.

theory.md §5 item 1. For symmetric W and non-decreasing phi,

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

The global convergence statement built on E, with the Euler step that provably keeps E
non-increasing, is :mod:`assocrate.stability.convergence`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_input, check_states
from ..core.design import FORMS, require_symmetric
from ..errors import InvalidInput

__all__ = [
    "current_energy",
    "energy",
    "energy_along",
    "energy_derivative",
    "energy_gradient",
    "energy_terms",
]


def _states(network, X: object, name: str) -> np.ndarray:
    """States (N,) or (N, B) checked by the one state checker, as floats (W must be symmetric)."""
    require_symmetric(network, "the energy function")
    return check_states(name, X, network.n_units).astype(float, copy=False)


def _column(u: np.ndarray | float, X: np.ndarray) -> np.ndarray | float:
    return u[:, None] if isinstance(u, np.ndarray) and X.ndim == 2 else u


def _input_dot(u: np.ndarray | float, X: np.ndarray) -> np.ndarray | float:
    if isinstance(u, np.ndarray):
        return u @ X
    return u * X.sum(axis=0)


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


def energy_terms(
    network, X: np.ndarray, u: float | np.ndarray, *, currents: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The energy at rates `X` and ``C U^T X`` (so that ``W X = U (C U^T X)`` costs one product more).

    The one evaluation of the energy formula, for inputs already checked: ``E(X)`` by the Legendre
    identity, or, given the `currents` H with ``X = Phi(H)``, ``E_c(H) = E(Phi(H))`` with no inverse
    of phi (module docstring). O(N P) per state.

    Parameters
    ----------
    network : MemoryNetwork
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates (in [0, 1] when `currents` is None).
    u : float or numpy.ndarray of shape (N,)
        Constant input (from :func:`assocrate._validation.check_input`).
    currents : numpy.ndarray, optional
        H with ``X = Phi(H)``, same shape as `X`.

    Returns
    -------
    E : numpy.ndarray, shape () or (B,)
    coefficients : numpy.ndarray, shape (m,) or (m, B)
        ``C U^T X``.
    """
    quadratic, weighted = _quadratic(network, X)
    psi = _psi_of_rate(network.activation, X) if currents is None else _psi_of_current(network.activation, currents)
    return -0.5 * quadratic - _input_dot(u, X) + psi.sum(axis=0), weighted


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
    ``x phi^{-1}(x) - F(phi^{-1}(x)) + F(0)`` (module docstring; theory.md §5 item 1).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> quiescent = aa.uniform_states(net)[0].rate * np.ones(net.n_units)
    >>> bool(energy(net, net.memory_rates()[:, 0]) < energy(net, quiescent))
    True
    """
    X = _states(network, x, "x")
    _check_rates(network, X)
    u_vec = check_input("u", u, network.n_units)
    value, _ = energy_terms(network, X, u_vec)
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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> h = net.memory_currents()[:, 1]
    >>> bool(abs(current_energy(net, h) - energy(net, net.activation.phi(h))) < 1e-9)
    True
    """
    H = _states(network, h, "h")
    u_vec = check_input("u", u, network.n_units)
    value, _ = energy_terms(network, network.activation.phi(H), u_vec, currents=H)
    return float(value) if H.ndim == 1 else value


def energy_gradient(network, x: np.ndarray, u: float | np.ndarray | None = None) -> np.ndarray:
    """``grad E(x) = -W x - u + phi^{-1}(x)`` (rates strictly inside the domain of phi^-1).

    Zero exactly at the equilibria of the rate form (``phi^{-1}(x) = W x + u``).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> bool(np.max(np.abs(energy_gradient(net, net.memory_rates()[:, 0]))) < 1e-9)
    True
    """
    X = _states(network, x, "x")
    _check_rates(network, X)
    u_vec = check_input("u", u, network.n_units)
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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> x = np.random.default_rng(0).random((1000, 5))
    >>> bool(np.all(energy_derivative(net, x) <= 0))
    True
    """
    form = check_choice("form", form, FORMS)
    S = _states(network, state, "state")
    u_vec = check_input("u", u, network.n_units)
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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
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
