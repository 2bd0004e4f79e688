"""The designed network as a discrete-time CTRNN map, and runs of the map with noise (theory.md §6b).

With ``gamma = dt / tau`` (the step ratio; not the design's E/I weight ``network.gamma``) one step is

    current form:  v_{t+1} = (1 - gamma) v_t + gamma (W f(v_t) + W_in u_t + b + eps_t) + xi_t,  r_t = f(v_t)
    rate form:     x_{t+1} = (1 - gamma) x_t + gamma f(W x_t + W_in u_t + b + eps_t) + xi_t,   r_t = x_t

with pre-activation noise ``eps_t ~ N(0, sigma_pre^2)`` and post-activation noise
``xi_t ~ N(0, sigma_post^2)`` per unit and step (so one step adds variance
``gamma^2 sigma_pre^2 + sigma_post^2`` in the current form; ``sigma_post = sigma sqrt(dt)`` matches
the Euler–Maruyama noise of :func:`assocrate.dynamics.euler_maruyama`). Every product with W goes
through the low-rank factors ``W = L diag(c) R^T`` (``L = R = U`` for a symmetric W;
:meth:`~assocrate.core.design.MemoryNetwork.weights_matvec`): a step costs O(N P) per state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._validation import (
    as_generator,
    check_choice,
    check_finite_float,
    check_input,
    check_positive,
    check_positive_int,
    check_states,
    readonly,
)
from ..core.design import MemoryNetwork, check_network
from ..dynamics import integer_seed
from ..errors import InvalidInput, InvalidType

__all__ = ["DISCRETE_FORMS", "DiscreteNetwork", "DiscreteRun", "check_discrete", "discretize", "run_discrete"]

#: ``"current"`` (state v, the nn4n form) or ``"rate"`` (state x).
DISCRETE_FORMS = ("current", "rate")


@dataclass(frozen=True, repr=False)
class DiscreteNetwork:
    """A designed network run as a discrete-time CTRNN with step ratio ``gamma = dt / tau``.

    Build it with :func:`discretize`.

    Attributes
    ----------
    network : MemoryNetwork
    dt : float
        Time step (same units as ``network.tau``).
    form : str
        ``"current"`` (state v, ``r = f(v)``) or ``"rate"`` (state x, ``r = x``).
    input_weights : numpy.ndarray of shape (N, n_in), or None
        W_in (rows receive); None is the identity (``n_in = N``, never formed).
    bias : numpy.ndarray, shape (N,)
        b (zeros by default; a nonzero bias moves the designed equilibria).
    """

    network: MemoryNetwork
    dt: float
    form: str
    input_weights: np.ndarray | None
    bias: np.ndarray

    @property
    def gamma(self) -> float:
        """``dt / tau`` (the step ratio; the design's E/I weight is ``network.gamma``)."""
        return self.dt / self.network.tau

    @property
    def n_units(self) -> int:
        """N."""
        return self.network.n_units

    @property
    def n_inputs(self) -> int:
        """Columns of W_in (N for the identity)."""
        return self.n_units if self.input_weights is None else int(self.input_weights.shape[1])

    @cached_property
    def readout(self) -> np.ndarray:
        """W_out (P x N): ``W_out r`` are the overlaps ``m^nu = r·xi^nu / |xi^nu|``."""
        xi = self.network.patterns
        return readonly(xi.T / np.maximum(xi.sum(axis=0), 1)[:, None])

    def memory_states(self) -> np.ndarray:
        """The designed memories as states of this form (N x P): currents ``h̄`` or rates ``x̄``."""
        return self.network.memory_currents() if self.form == "current" else self.network.memory_rates()

    def rates(self, states: np.ndarray) -> np.ndarray:
        """``r = f(v)`` (current form) or ``r = x`` (rate form)."""
        states = np.asarray(states, dtype=float)
        return self.network.activation.phi(states) if self.form == "current" else states

    def external(self, u: object, *, batch: int | None = None, name: str = "u") -> float | np.ndarray:
        """``W_in u`` for an input `u` (None: 0; a scalar, an (n_in,) or an (n_in, B) array); errors name `name`."""
        u = check_input(name, u, self.n_inputs, batch=batch)
        if self.input_weights is None:
            return u
        if np.ndim(u) == 0:
            return float(u) * self.input_weights.sum(axis=1)
        return self.input_weights @ u

    def step(
        self,
        states: np.ndarray,
        u: np.ndarray | float | None = None,
        *,
        pre_noise: np.ndarray | float = 0.0,
        post_noise: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """One step of the map for a state (N,) or a batch (N, B), with given noise samples.

        Parameters
        ----------
        states : numpy.ndarray, shape (N,) or (N, B)
        u : float or numpy.ndarray of shape (n_in,) or (n_in, B), optional
            The input ``u_t`` (an (n_in,) input is shared by every state of a batch).
        pre_noise, post_noise : float or numpy.ndarray like `states`, default 0
            The samples of ``eps_t`` and ``xi_t``.

        Examples
        --------
        >>> import assocrate as aa
        >>> net = aa.design(aa.equal_overlap_patterns(100, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> d = aa.discretize(net, 0.5)
        >>> h = d.memory_states()
        >>> float(np.max(np.abs(d.step(h) - h))) < 1e-12    # the memories are fixed points
        True
        """
        V = check_states("states", states, self.n_units).astype(float, copy=False)
        drive = self.external(u, batch=None if V.ndim == 1 else V.shape[1])
        return self._advance(V, drive, pre_noise, post_noise)

    def _advance(self, V: np.ndarray, drive: float | np.ndarray, pre_noise, post_noise) -> np.ndarray:
        """The map on checked states; `drive` is ``W_in u_t`` (0, (N,) or like `V`)."""
        if np.ndim(drive) == 1 and V.ndim == 2:
            drive = drive[:, None]
        bias = self.bias[:, None] if V.ndim == 2 else self.bias
        g = self.gamma
        if self.form == "current":
            total = self.network.weights_matvec(self.network.activation.phi(V)) + bias + drive + pre_noise
            return (1.0 - g) * V + g * total + post_noise
        total = self.network.weights_matvec(V) + bias + drive + pre_noise
        return (1.0 - g) * V + g * self.network.activation.phi(total) + post_noise

    def summary(self) -> str:
        """The step, the form and the layers."""
        identity = " (identity)" if self.input_weights is None else ""
        return (
            f"DiscreteNetwork ({self.form} form): N={self.n_units}, P={self.network.n_patterns}, "
            f"dt={self.dt:g}, tau={self.network.tau:g}, gamma=dt/tau={self.gamma:g}, "
            f"W_in {self.n_units}x{self.n_inputs}{identity}, |b|max={float(np.max(np.abs(self.bias))):g}"
        )

    def __repr__(self) -> str:
        return f"DiscreteNetwork(n_units={self.n_units}, dt={self.dt:g}, gamma={self.gamma:g}, form={self.form!r})"


def check_discrete(discrete: object) -> DiscreteNetwork:
    """Return `discrete` if it is a :class:`DiscreteNetwork`, else raise :class:`~assocrate.errors.InvalidType`."""
    if not isinstance(discrete, DiscreteNetwork):
        raise InvalidType(f"`discrete` must be a DiscreteNetwork (see discretize); got {type(discrete).__name__}")
    return discrete


def discretize(
    network: MemoryNetwork,
    dt: float,
    *,
    form: str = "current",
    input_weights: np.ndarray | None = None,
    bias: np.ndarray | float | None = None,
) -> DiscreteNetwork:
    """The discrete-time CTRNN of a designed network, ``gamma = dt / tau`` (theory.md §6b).

    Parameters
    ----------
    network : MemoryNetwork
    dt : float
        Step, > 0.
    form : {"current", "rate"}, default "current"
        The nn4n form updates the pre-activation v; the rate form updates x.
    input_weights : array_like, shape (N, n_in), optional
        W_in; the identity when omitted (``u_t`` is then a per-unit input; never formed).
    bias : float or array_like of shape (N,), optional
        b; zeros when omitted.

    Returns
    -------
    DiscreteNetwork

    Raises
    ------
    InvalidInput
        For ``dt <= 0``, an unknown `form`, or `input_weights` / `bias` of the wrong shape or not finite.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(100, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> aa.discretize(net, 0.1)
    DiscreteNetwork(n_units=100, dt=0.1, gamma=0.1, form='current')
    """
    network = check_network(network)
    dt = check_positive("dt", dt)
    form = check_choice("form", form, DISCRETE_FORMS)
    N = network.n_units
    W_in = None
    if input_weights is not None:
        W_in = np.array(input_weights)
        if W_in.dtype.kind not in "biuf":
            raise InvalidType(f"`input_weights` must be a real array; got dtype {W_in.dtype}")
        W_in = W_in.astype(float)
        if W_in.ndim != 2 or W_in.shape[0] != N or W_in.shape[1] < 1 or not np.all(np.isfinite(W_in)):
            raise InvalidInput(
                f"`input_weights` must be a finite ({N}, n_in) array with n_in >= 1; got shape {W_in.shape}"
            )
    if bias is None:
        b = np.zeros(N)
    elif np.ndim(bias) == 0:
        b = np.full(N, check_finite_float("bias", bias))
    else:
        b = check_states("bias", bias, N).astype(float)
        if b.ndim != 1:
            raise InvalidInput(f"`bias` must be a number or have shape ({N},); got shape {b.shape}")
    return DiscreteNetwork(network, dt, form, None if W_in is None else readonly(W_in), readonly(b))


# ----------------------------------------------------------------------------------------------
# Runs of the map
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class DiscreteRun:
    """Trajectories of :func:`run_discrete`.

    Attributes
    ----------
    steps : numpy.ndarray of int, shape (T,)
        Recorded step indices (0 is the initial state); times are ``steps * dt``.
    dt : float
    overlaps : numpy.ndarray, shape (T, P, B)
        ``W_out r_t``: the overlap of the rates with every pattern.
    max_abs_state : numpy.ndarray, shape (T, B)
        ``max_i |v_i|`` (or ``|x_i|``): a diverging run shows here.
    final_states : numpy.ndarray, shape (N, B)
    sigma_pre, sigma_post : float
    seed : int or None
        The integer seed when one was given.
    """

    steps: np.ndarray
    dt: float
    overlaps: np.ndarray
    max_abs_state: np.ndarray
    final_states: np.ndarray
    sigma_pre: float
    sigma_post: float
    seed: int | None

    @property
    def times(self) -> np.ndarray:
        """``steps * dt``."""
        return self.steps * self.dt

    @property
    def finite(self) -> np.ndarray:
        """Per trajectory: the final state is finite."""
        return np.all(np.isfinite(self.final_states), axis=0)

    def summary(self) -> str:
        """Steps, noise and the final overlaps."""
        final = self.overlaps[-1]
        return (
            f"DiscreteRun: {self.final_states.shape[1]} trajectories, {int(self.steps[-1])} steps of dt={self.dt:g}, "
            f"sigma_pre={self.sigma_pre:g}, sigma_post={self.sigma_post:g}\n"
            f"  final max overlap per trajectory: {np.array2string(np.max(final, axis=0), precision=4, threshold=8)}\n"
            f"  final max |state|: {np.array2string(self.max_abs_state[-1], precision=4, threshold=8)}"
        )

    def __repr__(self) -> str:
        return f"DiscreteRun(n_trajectories={self.final_states.shape[1]}, steps={int(self.steps[-1])}, dt={self.dt:g})"


def _check_noise(name: str, value: object) -> float:
    value = check_finite_float(name, value)
    if value < 0:
        raise InvalidInput(f"`{name}` must be >= 0; got {value!r}")
    return value


def run_discrete(
    discrete: DiscreteNetwork,
    initial: np.ndarray,
    *,
    steps: int,
    inputs: np.ndarray | float | Callable[[int], np.ndarray] | None = None,
    sigma_pre: float = 0.0,
    sigma_post: float = 0.0,
    seed: int | np.random.Generator | None = None,
    record_every: int = 1,
) -> DiscreteRun:
    """Iterate the map from a batch of states, with pre- and post-activation noise.

    Parameters
    ----------
    discrete : DiscreteNetwork
    initial : numpy.ndarray, shape (N,) or (N, B)
        Initial states of the form (v or x); see :meth:`DiscreteNetwork.memory_states`.
    steps : int
        Number of steps, >= 1.
    inputs : float, array_like or callable, optional
        ``u_t``: a constant scalar, (n_in,) or (n_in, B), or a callable ``t -> u_t`` of the step
        index returning one of those.
    sigma_pre, sigma_post : float, default 0
        Standard deviations of eps_t (inside ``gamma (...)``) and xi_t (added to the state), per step.
    seed : int, numpy.random.Generator or None
        eps is drawn before xi at every step, each as an (N, B) standard normal block: the same
        seed gives the same trajectories.
    record_every : int, default 1
        Record the overlaps every this many steps (and at the last step).

    Returns
    -------
    DiscreteRun
        A diverging run is a result too: see ``max_abs_state`` and ``finite``.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(100, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> d = aa.discretize(net, 0.5)
    >>> run = run_discrete(d, d.memory_states()[:, :2] + 0.3, steps=60, sigma_post=0.01, seed=0)
    >>> np.round(np.diag(run.overlaps[-1]), 3)
    array([1., 1.])
    """
    discrete = check_discrete(discrete)
    V = check_states("initial", initial, discrete.n_units)
    V = np.array(V[:, None] if V.ndim == 1 else V, dtype=float)
    steps = check_positive_int("steps", steps)
    record_every = check_positive_int("record_every", record_every)
    sigma_pre = _check_noise("sigma_pre", sigma_pre)
    sigma_post = _check_noise("sigma_post", sigma_post)
    rng = as_generator(seed)
    batch = V.shape[1]
    if inputs is None or not callable(inputs):
        constant = discrete.external(inputs, batch=batch, name="inputs")
        drive_at = lambda t: constant  # noqa: E731
    else:
        drive_at = lambda t: discrete.external(inputs(t), batch=batch, name="inputs(t)")  # noqa: E731
    recorded = [0] + [t for t in range(1, steps + 1) if t % record_every == 0 or t == steps]
    overlaps = np.empty((len(recorded), discrete.network.n_patterns, batch))
    extent = np.empty((len(recorded), batch))
    row = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            if row < len(recorded) and recorded[row] == t:
                overlaps[row] = discrete.readout @ discrete.rates(V)
                extent[row] = np.max(np.abs(V), axis=0)
                row += 1
            if t == steps:
                break
            pre = sigma_pre * rng.standard_normal(V.shape) if sigma_pre > 0 else 0.0
            post = sigma_post * rng.standard_normal(V.shape) if sigma_post > 0 else 0.0
            V = discrete._advance(V, drive_at(t), pre, post)
    return DiscreteRun(
        steps=readonly(np.array(recorded)),
        dt=discrete.dt,
        overlaps=readonly(overlaps),
        max_abs_state=readonly(extent),
        final_states=readonly(V),
        sigma_pre=sigma_pre,
        sigma_post=sigma_post,
        seed=integer_seed(seed),
    )

