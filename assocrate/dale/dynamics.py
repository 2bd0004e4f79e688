"""Dynamics of the augmented excitatory-inhibitory system of a Dale realization (theory.md §6).

``tau x' = -x + Phi(W_EE x - w_EI 1 rbar + u)`` and ``tau_I r' = -r + mean(x) 1``, evaluated through
the design's factors in O(N P) per state and integrated by
:func:`assocrate.dynamics.integrate_to_steady`, the same solver loop as the designed network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_input, check_positive, check_states, check_t_span
from ..dynamics import SimulationResult, SimulationStatus, integrate_to_steady
from ..errors import InvalidInput
from .realization import DaleNetwork, check_dale

__all__ = ["DaleSimulation", "dale_vector_field", "simulate_dale"]


def _check_augmented(dale: DaleNetwork, Z: object, name: str) -> np.ndarray:
    """Augmented states, shape (N + N_I,) or (N + N_I, B), as floats."""
    return check_states(name, Z, dale.n_units + dale.n_inhibitory).astype(np.float64, copy=False)


def _input(u: object, n_units: int, batch: int | None) -> np.ndarray | float:
    """The constant input (:func:`assocrate._validation.check_input`), broadcastable against (N,) / (N, B) states."""
    value = check_input("u", u, n_units, batch=batch)
    return value[:, None] if batch is not None and isinstance(value, np.ndarray) and value.ndim == 1 else value


def _field(dale: DaleNetwork, Z: np.ndarray, u: np.ndarray | float) -> np.ndarray:
    N = dale.n_units
    x, r = Z[:N], Z[N:]
    H = dale.excitatory_matvec(x)
    H -= dale.w_EI * r.mean(axis=0)
    H += u
    out = np.empty_like(Z)
    out[:N] = (dale.network.activation.phi(H) - x) / dale.tau
    out[N:] = (x.mean(axis=0) - r) / dale.tau_inhibitory
    return out


def dale_vector_field(dale: DaleNetwork, Z: np.ndarray, *, u: float | np.ndarray | None = None) -> np.ndarray:
    """The right-hand side of the augmented system, for one state or a batch, in O(N P) per state.

    Parameters
    ----------
    dale : DaleNetwork
    Z : numpy.ndarray, shape (N + N_I,) or (N + N_I, B)
        Excitatory rates x (first N rows) and inhibitory rates r (last N_I rows).
    u : None, float or numpy.ndarray, optional
        Constant input to the excitatory units: a scalar, (N,) or (N, B).

    Returns
    -------
    numpy.ndarray
        ``[(-x + Phi(W_EE x - w_EI mean(r) + u))/tau ; (-r + mean(x))/tau_I]``, the shape of `Z`.

    Notes
    -----
    ``W_EE x = L_EE (c_EE * (R_EE^T x))`` through the factors (:meth:`DaleNetwork.excitatory_matvec`;
    ``L_EE = R_EE = U`` for the betteti rule); no N x N matrix is formed.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale = aa.dale_realization(net, n_inhibitory=3)
    >>> float(np.abs(dale_vector_field(dale, dale.memory_states())).max()) < 1e-12   # memories are equilibria
    True
    """
    dale = check_dale(dale)
    Z = _check_augmented(dale, Z, "Z")
    return _field(dale, Z, _input(u, dale.n_units, Z.shape[1] if Z.ndim == 2 else None))


@dataclass(frozen=True, repr=False)
class DaleSimulation:
    """A trajectory of the augmented system computed by :func:`simulate_dale`.

    Attributes
    ----------
    trajectory : assocrate.dynamics.SimulationResult
        The run as for any rate model: times ``t``, ``states`` of shape (n, N + N_I) or
        (n, N + N_I, B), ``status``, ``t_steady``, solver message and work.
    n_units : int
        N: the first N rows of a state are the excitatory rates, the rest the inhibitory ones.
    """

    trajectory: SimulationResult
    n_units: int

    @property
    def t(self) -> np.ndarray:
        """The solver's accepted step times, shape (n,)."""
        return self.trajectory.t

    @property
    def x(self) -> np.ndarray:
        """Excitatory rates, shape (n, N) or (n, N, B)."""
        return self.trajectory.states[:, : self.n_units]

    @property
    def r(self) -> np.ndarray:
        """Inhibitory rates, shape (n, N_I) or (n, N_I, B)."""
        return self.trajectory.states[:, self.n_units :]

    @property
    def status(self) -> SimulationStatus:
        """How the run ended."""
        return self.trajectory.status

    @property
    def final_x(self) -> np.ndarray:
        """The last excitatory state."""
        return self.x[-1]

    @property
    def final_r(self) -> np.ndarray:
        """The last inhibitory state."""
        return self.r[-1]

    def summary(self) -> str:
        """Status, final time and work."""
        return "Dale realization: " + self.trajectory.summary()

    def __repr__(self) -> str:
        return f"DaleSimulation(n_units={self.n_units}, n_inhibitory={self.r.shape[1]}, trajectory={self.trajectory!r})"


def simulate_dale(
    dale: DaleNetwork,
    x0: np.ndarray,
    t_span: tuple[float, float],
    *,
    r0: float | np.ndarray | None = None,
    u: float | np.ndarray | None = None,
    method: str = "RK45",
    steady_tol: float | None = 1e-6,
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> DaleSimulation:
    """Integrate the augmented system with :func:`scipy.integrate.solve_ivp`, stopping at a steady state.

    Parameters
    ----------
    dale : DaleNetwork
    x0 : numpy.ndarray, shape (N,) or (N, B)
        Initial excitatory rates; a batch is integrated as one system.
    t_span : (float, float)
        Start and end time, ``t_span[1] > t_span[0]``.
    r0 : float or numpy.ndarray, optional
        Initial inhibitory rates, a scalar, (N_I,) or (N_I, B); ``mean(x0)`` (inhibition in
        balance with the cue) when omitted.
    u : None, float or numpy.ndarray, optional
        Constant input to the excitatory units.
    method : str, default "RK45"
        Any :func:`~scipy.integrate.solve_ivp` method (explicit ones suit these non-stiff dynamics).
    steady_tol : float or None, default 1e-6
        Terminal event ``||f||_inf < steady_tol`` over all N + N_I rates; None integrates to the end.
        The inhibitory rows of f are ``(mean(x) - r)/tau_I``: an integration error e in r shows as
        ``e/tau_I``, so with fast inhibition keep `steady_tol` well above ``atol/tau_I``.
    rtol, atol : float, default 1e-8, 1e-10
        Solver tolerances.

    Returns
    -------
    DaleSimulation

    Notes
    -----
    Local stability is not retrieval. The realization has the same equilibria as the designed
    network, but away from them the inhibition lags the excitation by tau_I, and the uniform loop
    gains c and w_EI are large when W_cov has a very negative entry (c = 15.9 for the N = 1000,
    P = 14 random reference network, against ``|gamma|`` = 0.25). Measured there: a cue keeping 60 %
    of the active units retrieves its memory for tau_I <= 0.41 tau, while for slower inhibition the
    whole network runs up towards the all-on state before the inhibition catches up and then falls
    to the quiescent state (every memory stays locally stable for every tau_I).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = simulate_dale(aa.dale_realization(net), 0.8 * net.memory_rates()[:, 0], (0.0, 50.0))
    >>> result.status.name, bool(np.abs(result.final_x - net.memory_rates()[:, 0]).max() < 1e-5)
    ('STEADY', True)
    >>> result.x.shape[1:], result.r.shape[1:]
    ((1000,), (1,))
    """
    dale = check_dale(dale)
    N, N_I = dale.n_units, dale.n_inhibitory
    x0 = check_states("x0", x0, N)
    batch = x0.shape[1:]
    if r0 is None:
        r0 = np.broadcast_to(np.mean(x0, axis=0), (N_I,) + batch)
    r0 = np.asarray(r0, dtype=float)
    if r0.ndim == 0 or r0.shape == (N_I,):
        r0 = np.broadcast_to(r0.reshape(r0.shape + (1,) * len(batch)), (N_I,) + batch)
    if r0.shape != (N_I,) + batch:
        raise InvalidInput(f"`r0` must be a scalar or have shape {(N_I,) + batch}; got {r0.shape}")
    Z0 = _check_augmented(dale, np.concatenate([x0, r0]), "x0, r0")
    t0, t1 = check_t_span(t_span)
    if steady_tol is not None:
        steady_tol = check_positive("steady_tol", steady_tol)
    u_value = _input(u, N, batch[0] if batch else None)
    shape = Z0.shape

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return _field(dale, y.reshape(shape), u_value).ravel()

    trajectory = integrate_to_steady(rhs, Z0, (t0, t1), method=method, rtol=rtol, atol=atol, steady_tol=steady_tol)
    return DaleSimulation(trajectory, N)
