"""Vector fields, ODE integration and batched Euler–Maruyama for the rate and current forms (DESIGN.md §2, §7).

Rate form ``tau x' = -x + Phi(W x + u)``; current form ``tau h' = -h + W Phi(h) + u``. States are
one vector (N,) or a batch (N, B), one trajectory per column; every product with W goes through
the low-rank factors (:meth:`~assocrate.core.design.MemoryNetwork.weights_matvec` or the same
``U diag(c) U^T`` product), so no N x N matrix is ever formed.

Inputs ``u`` are ``None`` (zero), a constant (scalar, (N,) or (N, B)), a callable ``u(t)``
returning such a constant, or piecewise-constant :class:`Pulses`.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Union

import numpy as np
import scipy.integrate
from scipy.special import expit
from threadpoolctl import threadpool_limits

from .._validation import (
    as_generator,
    check_choice,
    check_finite_float,
    check_positive,
    check_positive_int,
    check_t_span,
)
from .._validation import readonly as _readonly
from ..core.activations import RectifiedTanh, Sigmoid
from ..core.design import FORMS, MemoryNetwork
from ..errors import InvalidInput, InvalidType
from ._gaussian import fill_standard_normal

__all__ = [
    "BOUNDARIES",
    "FORMS",
    "EulerMaruyamaResult",
    "EulerMaruyamaStatus",
    "Pulses",
    "SimulationResult",
    "SimulationStatus",
    "euler_maruyama",
    "pulse",
    "simulate",
    "vector_field",
]

#: Model forms: ``"rate"`` (state x, ``tau x' = -x + Phi(W x + u)``) and ``"current"``
#: (state h, ``tau h' = -h + W Phi(h) + u``).
#: Boundary treatments of Euler–Maruyama for the rate form (the current form has none).
BOUNDARIES = ("reflect", "clip", "none")

# Noise is drawn per block of rows, each with its own generator, so the same seed gives the same
# trajectories whether the blocks run in worker threads or not. The number of blocks depends only
# on the problem size: up to 8, about one per `_BLOCK_ENTRIES` state entries.
_NOISE_BLOCKS = 8
_BLOCK_ENTRIES = 1 << 16
# Below this many state entries per step the whole step runs in the calling thread.
_THREAD_MIN_ENTRIES = 1 << 19
# Refuse to record full states beyond this many bytes (use `readout` or a larger `record_every`).
_MAX_RECORD_BYTES = 2 * 1024**3


def blas_threads_for(n_entries: int) -> contextlib.AbstractContextManager:
    """One BLAS thread for small problems (below `_THREAD_MIN_ENTRIES` entries), the default otherwise.

    Skinny GEMMs of a small batch do not gain from threads, and on a busy machine OpenBLAS's
    spinning threads make them 10-20x slower.
    """
    if n_entries < _THREAD_MIN_ENTRIES:
        return _single_threaded_blas()
    return contextlib.nullcontext()


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    """One BLAS thread: Euler–Maruyama runs its GEMMs per row block, in its own threads."""
    return threadpool_limits(1, user_api="blas")


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Pulses:
    """Piecewise-constant input: ``u(t) = values[k]`` for ``edges[k] <= t < edges[k+1]``, 0 elsewhere.

    Attributes
    ----------
    edges : numpy.ndarray, shape (K + 1,)
        Strictly increasing switching times.
    values : numpy.ndarray, shape (K,) + S
        The input on each piece; S is ``()`` (a uniform scalar input), ``(N,)`` or ``(N, B)``.

    Examples
    --------
    >>> p = Pulses(edges=[0.0, 1.0, 3.0], values=[0.5, -0.2])
    >>> [float(p.at(t)) for t in (-1.0, 0.0, 2.0, 3.0)]
    [0.0, 0.5, -0.2, 0.0]
    """

    edges: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        edges = np.array(self.edges, dtype=float)
        values = np.array(self.values, dtype=float)
        if edges.ndim != 1 or edges.size < 2:
            raise InvalidInput(f"`edges` must be 1-D with at least 2 times; got shape {edges.shape}")
        if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise InvalidInput(f"`edges` must be finite and strictly increasing; got {edges.tolist()!r}")
        if values.ndim < 1 or values.shape[0] != edges.size - 1:
            raise InvalidInput(
                f"`values` must have one entry per piece ({edges.size - 1}) along its first axis; "
                f"got shape {values.shape}"
            )
        if values.ndim > 3:
            raise InvalidInput(f"each value must be a scalar, (N,) or (N, B); got values of shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise InvalidInput("`values` must be finite")
        object.__setattr__(self, "edges", _readonly(edges))
        object.__setattr__(self, "values", _readonly(values))
        object.__setattr__(self, "_zero", _readonly(np.zeros(values.shape[1:])))

    @property
    def n_pieces(self) -> int:
        """K."""
        return int(self.values.shape[0])

    def at(self, t: float) -> np.ndarray:
        """The input at time `t` (a read-only view, zeros outside ``[edges[0], edges[-1])``)."""
        k = int(np.searchsorted(self.edges, t, side="right")) - 1
        if 0 <= k < self.n_pieces:
            return self.values[k]
        return self._zero

    def __repr__(self) -> str:
        return (
            f"Pulses(n_pieces={self.n_pieces}, edges=[{self.edges[0]:g} .. {self.edges[-1]:g}], "
            f"value_shape={self.values.shape[1:]})"
        )


def pulse(u: float | np.ndarray, start: float, stop: float) -> Pulses:
    """One input pulse: `u` on ``[start, stop)``, zero elsewhere.

    Examples
    --------
    >>> pulse(1.5, 0.0, 2.0)
    Pulses(n_pieces=1, edges=[0 .. 2], value_shape=())
    """
    start = check_finite_float("start", start)
    stop = check_finite_float("stop", stop)
    if stop <= start:
        raise InvalidInput(f"`stop` must be > `start`; got start={start!r}, stop={stop!r}")
    return Pulses(edges=[start, stop], values=np.asarray(u, dtype=float)[None])


InputLike = Union[None, float, np.ndarray, Pulses, Callable[[float], "float | np.ndarray"]]


class _Input:
    """A normalised input: ``value(t)`` is None or an array broadcastable against (N, B) states."""

    def __init__(self, u: InputLike, n_units: int, batch: int | None, dtype: np.dtype) -> None:
        self.n_units, self.batch, self.dtype = n_units, batch, dtype
        self.pulses: Pulses | None = None
        self.function: Callable | None = None
        self.constant: np.ndarray | None = None
        if u is None:
            return
        if isinstance(u, Pulses):
            self.pulses = u
            self._cache = [self._shape(u.values[k], "u") for k in range(u.n_pieces)]
        elif callable(u):
            self.function = u
        else:
            self.constant = self._shape(u, "u")

    def _shape(self, value: object, name: str) -> np.ndarray | None:
        array = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(array)):
            raise InvalidInput(f"`{name}` must be finite")
        if array.ndim == 0:
            return None if array == 0 else np.asarray(array, dtype=self.dtype)
        if array.shape == (self.n_units,):
            array = array[:, None] if self.batch is not None else array
        elif self.batch is None or array.shape not in ((self.n_units, self.batch), (self.n_units, 1)):
            allowed = f"({self.n_units},)" + ("" if self.batch is None else f" or ({self.n_units}, {self.batch})")
            raise InvalidInput(f"`{name}` must be a scalar or have shape {allowed}; got {array.shape}")
        return np.ascontiguousarray(array, dtype=self.dtype)

    @property
    def is_time_dependent(self) -> bool:
        return self.pulses is not None or self.function is not None

    @property
    def breakpoints(self) -> np.ndarray:
        """Times at which the input jumps (pulse edges)."""
        return self.pulses.edges if self.pulses is not None else np.empty(0)

    def value(self, t: float) -> np.ndarray | None:
        if self.pulses is not None:
            k = int(np.searchsorted(self.pulses.edges, t, side="right")) - 1
            return self._cache[k] if 0 <= k < self.pulses.n_pieces else None
        if self.function is not None:
            return self._shape(self.function(t), "u(t)")
        return self.constant


# ---------------------------------------------------------------------------------------------
# Vector fields
# ---------------------------------------------------------------------------------------------


def _sigmoid_core(Z: np.ndarray) -> None:
    """``Z <- expit(Z)`` in place (DESIGN.md §2: scipy's expit, never a raw exp ratio)."""
    expit(Z, out=Z)


def _tanh_core(Z: np.ndarray) -> None:
    np.maximum(Z, 0.0, out=Z)
    np.tanh(Z, out=Z)


def _affine_part(activation) -> tuple[float, float, Callable[[np.ndarray], None]] | None:
    """``(scale, shift, g)`` with ``phi(h) = g(scale h + shift)`` (g in place), or None if unknown."""
    if isinstance(activation, Sigmoid):
        return activation.steepness, -activation.steepness * activation.center, _sigmoid_core
    if isinstance(activation, RectifiedTanh):
        return activation.rho, -activation.rho * activation.threshold, _tanh_core
    return None


def _phi_inplace(activation, H: np.ndarray) -> np.ndarray:
    """Overwrite `H` with ``phi(H)`` without temporaries (keeps float32 as float32)."""
    affine = _affine_part(activation)
    if affine is None:  # any other activation honouring the protocol
        H[...] = activation.phi(H)
        return H
    scale, shift, core = affine
    H *= scale
    H += shift
    core(H)
    return H


def _check_states(network: MemoryNetwork, X: object, name: str) -> np.ndarray:
    array = np.asarray(X)
    if array.dtype.kind not in "fiub":
        raise InvalidType(f"`{name}` must be a real array; got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.shape[0] != network.n_units:
        raise InvalidInput(f"`{name}` must have shape ({network.n_units},) or ({network.n_units}, B); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite")
    return array


def vector_field(
    network: MemoryNetwork,
    X: np.ndarray,
    t: float = 0.0,
    *,
    u: InputLike = None,
    form: str = "rate",
) -> np.ndarray:
    """The right-hand side ``f(t, X)`` of the rate or current form, for one state or a batch.

    Parameters
    ----------
    network : MemoryNetwork
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates x (rate form) or currents h (current form); float32 stays float32.
    t : float, default 0.0
        Time (used only by a time-dependent `u`).
    u : None, float, numpy.ndarray, Pulses or callable, optional
        Input.
    form : {"rate", "current"}, default "rate"
        ``"rate"``: ``f = (-x + Phi(W x + u)) / tau``; ``"current"``: ``f = (-h + W Phi(h) + u) / tau``.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as `X`.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> float(np.max(np.abs(vector_field(net, net.memory_rates())))) < 1e-12   # memories are equilibria
    True
    >>> h = net.memory_currents()[:, 0]
    >>> float(np.max(np.abs(vector_field(net, h, form="current")))) < 1e-12
    True
    """
    form = check_choice("form", form, FORMS)
    X = _check_states(network, X, "X")
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype, copy=False)
    source = _Input(u, network.n_units, X.shape[1] if X.ndim == 2 else None, dtype)
    u_t = source.value(float(t))
    if form == "rate":
        H = network.weights_matvec(X)
        if u_t is not None:
            H += u_t
        return (_phi_inplace(network.activation, H) - X) / network.tau
    R = _phi_inplace(network.activation, X.copy())
    H = network.weights_matvec(R)
    if u_t is not None:
        H += u_t
    return (H - X) / network.tau


# ---------------------------------------------------------------------------------------------
# solve_ivp with a terminal steady-state event
# ---------------------------------------------------------------------------------------------


class SimulationStatus(enum.Enum):
    """Outcome of :func:`simulate`; each value says what happened and what to do."""

    STEADY = "steady state reached: ||f||_inf fell below steady_tol"
    END_OF_SPAN = "reached the end of t_span before ||f||_inf < steady_tol: lengthen t_span or loosen steady_tol"
    FAILED = "the integrator failed (see `message`): try method='LSODA' or 'BDF', or tighten rtol/atol"


@dataclass(frozen=True, repr=False)
class SimulationResult:
    """A trajectory computed by :func:`simulate`.

    Attributes
    ----------
    t : numpy.ndarray, shape (n,)
        The solver's own accepted step times (``t[0] = t_span[0]``).
    states : numpy.ndarray, shape (n, N) or (n, N, B)
        States at `t`.
    status : SimulationStatus
    t_steady : float or None
        Time at which ``||f||_inf`` fell below `steady_tol` (None if it did not).
    message : str
        The solver's message (last segment).
    nfev : int
        Vector-field evaluations (all segments).
    method, form : str
    steady_tol : float or None
    """

    t: np.ndarray
    states: np.ndarray
    status: SimulationStatus
    t_steady: float | None
    message: str
    nfev: int
    method: str
    form: str
    steady_tol: float | None
    _solutions: tuple = ()

    @property
    def success(self) -> bool:
        """Whether the integrator did not fail (reaching the end of the span is a success)."""
        return self.status is not SimulationStatus.FAILED

    @property
    def final(self) -> np.ndarray:
        """The last state, shape (N,) or (N, B)."""
        return self.states[-1]

    @property
    def has_dense_output(self) -> bool:
        """Whether :meth:`at` is available (``dense_output=True``)."""
        return bool(self._solutions)

    def at(self, times: float | np.ndarray) -> np.ndarray:
        """Interpolate the trajectory at `times` from the solver's dense output.

        Returns
        -------
        numpy.ndarray, shape (len(times),) + state shape (or the state shape for a scalar time)
        """
        if not self._solutions:
            raise InvalidInput("`at` needs dense output: call simulate(..., dense_output=True)")
        times_arr = np.atleast_1d(np.asarray(times, dtype=float))
        if np.any(times_arr < self.t[0]) or np.any(times_arr > self.t[-1]):
            raise InvalidInput(f"`times` must lie in [{self.t[0]:g}, {self.t[-1]:g}]; got {times!r}")
        shape = self.states.shape[1:]
        out = np.empty((times_arr.size,) + shape)
        ends = np.array([solution.t_max for solution in self._solutions])
        for i, time in enumerate(times_arr):
            k = min(int(np.searchsorted(ends, time, side="left")), len(self._solutions) - 1)
            out[i] = self._solutions[k](time).reshape(shape)
        return out[0] if np.ndim(times) == 0 else out

    def summary(self) -> str:
        """Status, final time and work."""
        steady = f", steady at t={self.t_steady:.4g}" if self.t_steady is not None else ""
        return (
            f"simulation ({self.form} form, {self.method}): {self.status.value}{steady}; "
            f"t_end={self.t[-1]:.4g}, {self.t.size} steps, {self.nfev} evaluations"
        )

    def __repr__(self) -> str:
        return (
            f"SimulationResult(status={self.status.name}, t_end={self.t[-1]:.4g}, n_steps={self.t.size}, "
            f"state_shape={self.states.shape[1:]}, nfev={self.nfev})"
        )


def simulate(
    network: MemoryNetwork,
    x0: np.ndarray,
    t_span: tuple[float, float],
    *,
    u: InputLike = None,
    form: str = "rate",
    method: str = "RK45",
    steady_tol: float | None = 1e-6,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    dense_output: bool = False,
) -> SimulationResult:
    """Integrate the rate or current form with :func:`scipy.integrate.solve_ivp`, stopping at a steady state.

    Parameters
    ----------
    network : MemoryNetwork
    x0 : numpy.ndarray, shape (N,) or (N, B)
        Initial rates (rate form) or currents (current form). A batch is integrated as one system
        and stops when every column is steady.
    t_span : (float, float)
        Start and end time, ``t_span[1] > t_span[0]``.
    u : None, float, numpy.ndarray, Pulses or callable, optional
        Input. With :class:`Pulses` the span is integrated piece by piece (the solver never steps
        over a switch).
    form : {"rate", "current"}, default "rate"
    method : str, default "RK45"
        Any :func:`~scipy.integrate.solve_ivp` method: ``"RK45"``, ``"RK23"``, ``"DOP853"`` (explicit; right
        for these non-stiff dynamics), ``"Radau"``, ``"BDF"``, ``"LSODA"`` (implicit; build a dense
        Jacobian by finite differences, so only for small N).
    steady_tol : float or None, default 1e-6
        Terminal event ``||f(x)||_inf < steady_tol``. It is active only while the input is constant
        from then on (constant `u`, or after the last pulse edge); never with a callable `u`.
        None integrates to the end of `t_span`. Keep it well above the solver tolerances: the
        computed ``||f||`` cannot fall below the local integration error.
    rtol, atol : float, default 1e-8, 1e-10
        Solver tolerances.
    dense_output : bool, default False
        Keep the solver's interpolant; see :meth:`SimulationResult.at`.

    Returns
    -------
    SimulationResult
        The solver's own steps (no ``t_eval``, which does not mix with a terminal event).

    Notes
    -----
    The event function ``g = ||f(x)||_inf - steady_tol`` must cross zero, so a start that is
    already steady returns at once with status STEADY.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> x0 = 0.8 * net.memory_rates()[:, 0]
    >>> result = simulate(net, x0, (0.0, 50.0))
    >>> result.status.name, bool(np.max(np.abs(result.final - net.memory_rates()[:, 0])) < 1e-5)
    ('STEADY', True)
    """
    form = check_choice("form", form, FORMS)
    x0 = _check_states(network, x0, "x0").astype(float)
    t0, t1 = check_t_span(t_span)
    if steady_tol is not None:
        steady_tol = check_positive("steady_tol", steady_tol)
    shape = x0.shape
    batch = shape[1] if x0.ndim == 2 else None
    source = _Input(u, network.n_units, batch, np.float64)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return vector_field(network, y.reshape(shape), t, u=source.value(t), form=form).ravel()

    # The steady event is used only where the input stays constant from then on.
    event_from = source.breakpoints[-1] if source.pulses is not None else (np.inf if source.function is not None else t0)
    return integrate_to_steady(
        rhs, x0, (t0, t1), method=method, rtol=rtol, atol=atol, steady_tol=steady_tol, dense_output=dense_output,
        breakpoints=[float(e) for e in source.breakpoints if t0 < e < t1], event_from=event_from, form=form,
    )


def integrate_to_steady(
    rhs: Callable[[float, np.ndarray], np.ndarray],
    y0: np.ndarray,
    t_span: tuple[float, float],
    *,
    method: str,
    rtol: float,
    atol: float,
    steady_tol: float | None,
    dense_output: bool = False,
    breakpoints: Sequence[float] = (),
    event_from: float | None = None,
    form: str = "rate",
) -> SimulationResult:
    """:func:`scipy.integrate.solve_ivp` on ``y' = rhs(t, y)`` with a terminal steady-state event.

    The integration restarts at every breakpoint (where a piecewise input jumps); the event
    ``||rhs||_inf < steady_tol`` is armed only on pieces starting at or after `event_from`
    (default: t0). Used by :func:`simulate` and :func:`assocrate.dale.simulate_dale`.

    Parameters
    ----------
    rhs : callable
        ``rhs(t, y)`` on flat states, returning a flat array.
    y0 : numpy.ndarray
        Initial state, in the shape the returned states keep.
    t_span : (float, float)
        Checked by the caller.
    method, rtol, atol, dense_output
        As for :func:`scipy.integrate.solve_ivp`.
    steady_tol : float or None
        None integrates to the end.
    breakpoints : sequence of float
        Times strictly inside `t_span`, increasing.
    event_from : float, optional
    form : str
        Recorded in the result.

    Returns
    -------
    SimulationResult
    """
    t0, t1 = t_span
    event_from = t0 if event_from is None else event_from
    shape = y0.shape

    def steady_event(t: float, y: np.ndarray) -> float:
        return float(np.max(np.abs(rhs(t, y)))) - steady_tol

    steady_event.terminal = True
    steady_event.direction = -1

    edges = [t0, *breakpoints, t1]
    times, states, solutions = [np.array([t0])], [y0[None]], []
    y, nfev, message, status, t_steady = y0.ravel(), 0, "", SimulationStatus.END_OF_SPAN, None
    if steady_tol is not None and event_from <= t0 and steady_event(t0, y) < 0:
        status, t_steady, message = SimulationStatus.STEADY, t0, "already steady at t_span[0]"
        edges = [t0]
    for start, stop in zip(edges[:-1], edges[1:]):
        use_event = steady_tol is not None and start >= event_from
        solution = scipy.integrate.solve_ivp(
            rhs, (start, stop), y, method=method, rtol=rtol, atol=atol, dense_output=dense_output,
            events=steady_event if use_event else None,
        )
        nfev += int(solution.nfev)
        message = str(solution.message)
        if solution.sol is not None:
            solutions.append(solution.sol)
        times.append(solution.t[1:])
        states.append(solution.y[:, 1:].T.reshape((-1,) + shape))
        if solution.status < 0:
            status = SimulationStatus.FAILED
            break
        y = solution.y[:, -1]
        if solution.status == 1:
            status, t_steady = SimulationStatus.STEADY, float(solution.t_events[0][0])
            break
    return SimulationResult(
        t=_readonly(np.concatenate(times)),
        states=_readonly(np.concatenate(states)),
        status=status,
        t_steady=t_steady,
        message=message,
        nfev=nfev,
        method=method,
        form=form,
        steady_tol=steady_tol,
        _solutions=tuple(solutions),
    )


# ---------------------------------------------------------------------------------------------
# Batched Euler–Maruyama
# ---------------------------------------------------------------------------------------------


class EulerMaruyamaStatus(enum.Enum):
    """Outcome of :func:`euler_maruyama`."""

    COMPLETED = "completed all n_steps"
    STEADY = "stopped early: every trajectory had ||f||_inf < steady_tol at a recorded step"


@dataclass(frozen=True, repr=False)
class EulerMaruyamaResult:
    """Trajectories from :func:`euler_maruyama`, recorded every `record_every` steps.

    Attributes
    ----------
    times : numpy.ndarray, shape (T,)
        Recorded times ``t0 + k dt``.
    final : numpy.ndarray, shape (N, B) (or (N,) for a single start)
        The last state.
    states : numpy.ndarray or None, shape (T, N, B)
        Recorded states (None when a `readout` was given).
    readouts : numpy.ndarray or None, shape (T, K, B)
        ``R^T x`` at the recorded times for the read-out matrix R (N, K) (None without `readout`).
    speed : numpy.ndarray, shape (T, B)
        ``||f(x)||_inf`` (drift only, no noise) at the recorded times.
    dt, sigma : float
    n_steps : int
        Steps taken.
    boundary, form, dtype : str
    seed : int or None
        The integer seed, when one was given.
    status : EulerMaruyamaStatus
    """

    times: np.ndarray
    final: np.ndarray
    states: np.ndarray | None
    readouts: np.ndarray | None
    speed: np.ndarray
    dt: float
    sigma: float
    n_steps: int
    boundary: str
    form: str
    dtype: str
    seed: int | None
    status: EulerMaruyamaStatus

    def summary(self) -> str:
        """One line: steps, time, noise, final speed."""
        batch = self.final.shape[1] if self.final.ndim == 2 else 1
        return (
            f"Euler-Maruyama ({self.form} form, {self.dtype}): {batch} trajectories, {self.n_steps} steps of "
            f"dt={self.dt:g} to t={self.times[-1]:.4g}, sigma={self.sigma:g}, boundary={self.boundary}; "
            f"final max ||f||_inf={float(np.max(self.speed[-1])):.3g}; {self.status.value}"
        )

    def __repr__(self) -> str:
        recorded = "states" if self.states is not None else "readouts"
        return (
            f"EulerMaruyamaResult(final_shape={self.final.shape}, n_steps={self.n_steps}, dt={self.dt:g}, "
            f"sigma={self.sigma:g}, n_records={self.times.size} ({recorded}), status={self.status.name})"
        )


class _Kernel:
    """Preallocated buffers and the row-block pipeline of one Euler–Maruyama step.

    ``W Y = U (c * (U^T Y))`` is split by row blocks b: each block first computes its share
    ``U_b^T Y_b`` of the small (P+1) x B coefficient matrix; after the shares are summed, each
    block computes its own rows ``U_b (c * U^T Y)`` and runs the elementwise work (phi, update,
    noise, boundary) on them right away, while they are in cache when a block is small enough
    (there are at most 8 blocks). The calling thread and, for large batches, worker threads take
    the blocks on demand; BLAS runs single-threaded inside them (the caller holds
    `_single_threaded_blas`). Each block owns its noise generator, so the results do not depend
    on the threading.
    """

    def __init__(self, network, X, *, form, dt, sigma, boundary, source, generators, matvec=None, workers=None):
        self.network, self.X, self.form, self.source = network, X, form, source
        self.dtype = X.dtype
        n_units, batch = X.shape
        self.U = network.U.astype(self.dtype, copy=False)
        self.matvec = matvec
        # Rate form: fold phi's affine part into the small coefficient matrix, so that the GEMM
        # returns z = scale (W x) + shift directly (U's last column is the constant 1).
        self.affine = _affine_part(network.activation) if form == "rate" and matvec is None else None
        if self.affine is not None and not np.all(network.U[:, -1] == 1.0):
            self.affine = None
        scale = 1.0 if self.affine is None else self.affine[0]
        self.c = (network.c * scale).astype(self.dtype)[:, None]
        self.u_scale = self.dtype.type(scale)
        self.coefficients = np.empty((self.U.shape[1], batch), dtype=self.dtype)
        self.H = np.empty_like(X)
        self.R = np.empty_like(X) if form == "current" else None
        self.rate = self.dtype.type(dt / network.tau)
        self.noise_scale = self.dtype.type(sigma * math.sqrt(dt))
        self.sigma = sigma
        self.boundary = boundary
        self.generators = generators
        bounds = np.linspace(0, n_units, _block_count(n_units, batch) + 1).astype(int)
        self.blocks = [slice(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
        self.shares = np.zeros((len(self.blocks), *self.coefficients.shape), dtype=self.dtype)
        self.speed = np.zeros((len(self.blocks), batch), dtype=np.float64)
        if workers is None:  # automatic: one per core for large batches
            workers = min(len(self.blocks), os.cpu_count() or 1) if X.size >= _THREAD_MIN_ENTRIES else 1
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None
        self.measure, self.u_t = False, None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def _map(self, function: Callable[[int], None]) -> None:
        """Call ``function(i)`` for every block; this thread and the workers take blocks from one queue.

        Taking blocks on demand (not a fixed half each) lets a core that the machine slows down
        do fewer of them; which thread runs a block does not change its result.
        """
        pending = iter(range(len(self.blocks)))  # next() on it is atomic under the GIL
        futures = [self.pool.submit(_drain, function, pending) for _ in range(self.workers - 1)] if self.pool else []
        _drain(function, pending)
        for future in futures:
            future.result()

    def step(self, t: float, *, measure: bool) -> None:
        """Advance `X` in place by one step from time `t`; with `measure`, fill ``speed`` first."""
        self.measure, self.u_t = measure, self.source.value(t)
        Y = self.X if self.form == "rate" else self.R
        if self.matvec is not None:  # a dense reference (benchmarks only)
            if self.form == "current":
                self._map(self._phi_block)
            self.H[...] = self.matvec(Y)
        else:
            self._map(self._share_block)
            np.sum(self.shares, axis=0, out=self.coefficients)
            self.coefficients *= self.c
            if self.affine is not None:
                self.coefficients[-1] += self.affine[1]
        self._map(self._update_block)

    def _phi_block(self, i: int) -> None:
        rows = self.blocks[i]
        np.copyto(self.R[rows], self.X[rows])
        _phi_inplace(self.network.activation, self.R[rows])

    def _share_block(self, i: int) -> None:
        """``shares[i] = U_b^T Y_b`` with ``Y = X`` (rate form) or ``phi(X)`` (current form)."""
        rows = self.blocks[i]
        if self.form == "current":
            self._phi_block(i)
        np.matmul(self.U[rows].T, (self.X if self.form == "rate" else self.R)[rows], out=self.shares[i])

    def _update_block(self, i: int) -> None:
        rows = self.blocks[i]
        H, X = self.H[rows], self.X[rows]
        if self.matvec is None:
            np.matmul(self.U[rows], self.coefficients, out=H)
        if self.u_t is not None:
            value = self.u_t[rows] if self.u_t.ndim else self.u_t
            H += value if self.affine is None else value * self.u_scale
        if self.affine is not None:
            self.affine[2](H)
        elif self.form == "rate":
            _phi_inplace(self.network.activation, H)
        H -= X
        if self.measure:
            self.speed[i] = np.max(np.abs(H), axis=0)
        H *= self.rate
        X += H
        if self.sigma > 0.0:
            fill_standard_normal(self.generators[i], H)
            H *= self.noise_scale
            X += H
        if self.boundary == "clip":
            np.clip(X, 0.0, 1.0, out=X)
        elif self.boundary == "reflect":
            _reflect(X)

    def current_speed(self) -> np.ndarray:
        return self.speed.max(axis=0) / self.network.tau


def _drain(function: Callable[[int], None], pending: Iterator[int]) -> None:
    for i in pending:
        function(i)


def _reflect(X: np.ndarray) -> None:
    """Fold X into [0, 1] by reflection at 0 and 1, in place.

    Values in [-1, 2] (every step whose excursion is below 1) take one reflection at each wall:
    ``|x|`` and ``min(x, 2 - x)``; anything farther takes the general fold ``1 - |1 - (x mod 2)|``.
    """
    if X.size == 0:
        return
    low, high = X.min(), X.max()
    if low >= 0.0 and high <= 1.0:
        return
    if low < -1.0 or high > 2.0:
        np.remainder(X, 2.0, out=X)
        X -= 1.0
        np.abs(X, out=X)
        np.subtract(1.0, X, out=X)
        return
    if low < 0.0:
        np.abs(X, out=X)
    if high > 1.0:
        np.minimum(X, 2.0 - X, out=X)


def _block_count(n_units: int, batch: int) -> int:
    """Row blocks of the elementwise work (and noise streams) for an (N, B) batch."""
    return int(min(_NOISE_BLOCKS, n_units, max(1, n_units * batch // _BLOCK_ENTRIES)))


def integer_seed(seed: object) -> int | None:
    """The seed to record in a result: the integer when one was given, else None."""
    return int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None


def _noise_generators(seed, n_blocks: int) -> list[np.random.Generator]:
    """One SFC64 generator per row block, all derived from `seed`."""
    entropy = as_generator(seed).integers(0, 2**63, size=4)
    children = np.random.SeedSequence([int(e) for e in entropy]).spawn(n_blocks)
    return [np.random.Generator(np.random.SFC64(child)) for child in children]


def euler_maruyama(
    network: MemoryNetwork,
    X0: np.ndarray,
    dt: float,
    n_steps: int,
    *,
    sigma: float,
    u: InputLike = None,
    form: str = "rate",
    boundary: str | None = None,
    seed: int | np.random.Generator | None = None,
    record_every: int | None = None,
    readout: np.ndarray | None = None,
    dtype: type | np.dtype = np.float64,
    t0: float = 0.0,
    steady_tol: float | None = None,
) -> EulerMaruyamaResult:
    """Advance a batch of trajectories by Euler–Maruyama: ``x <- x + f(x) dt + sigma sqrt(dt) n``.

    Parameters
    ----------
    network : MemoryNetwork
    X0 : numpy.ndarray, shape (N,) or (N, B)
        Initial states (rates for the rate form), one trajectory per column. Not modified.
    dt : float
        Step, > 0.
    n_steps : int
        Number of steps, >= 1.
    sigma : float
        Noise amplitude >= 0; ``n`` is standard normal, independent per unit, trajectory and step,
        so the noise added over a time T has variance ``sigma^2 T`` whatever dt is.
    u : None, float, numpy.ndarray, Pulses or callable, optional
        Input, evaluated at the start of each step.
    form : {"rate", "current"}, default "rate"
    boundary : {"reflect", "clip", "none"}, optional
        What to do when a rate leaves [0, 1] (noise can push it out; the deterministic rate
        dynamics keep [0, 1] invariant): reflect at 0 and 1, clip, or nothing. Default
        ``"reflect"`` for the rate form and ``"none"`` (the only one allowed) for the current form.
    seed : int, numpy.random.Generator or None
        Source of the noise; the same seed (and dtype) gives identical trajectories, whether or not
        the elementwise work runs in threads. float32 and float64 draw different noise streams
        (float64 by numpy's ziggurat, float32 by the Box–Muller transform, |n| <= 6.76).
    record_every : int, optional
        Record every this many steps (and the final state); default: only the start and the end.
    readout : numpy.ndarray, shape (N, K), optional
        Record ``readout^T x`` (K numbers per trajectory, e.g. overlaps) instead of whole states.
    dtype : numpy.float64 or numpy.float32, default float64
        Arithmetic precision; float32 halves memory traffic and is about twice as fast.
    t0 : float, default 0.0
        Start time (for time-dependent inputs).
    steady_tol : float, optional
        Deterministic runs only (``sigma == 0``): stop at the first recorded step where every
        trajectory has ``||f||_inf < steady_tol``.

    Returns
    -------
    EulerMaruyamaResult

    Notes
    -----
    Each step costs two skinny GEMMs with the low-rank factors, O(N P B), plus O(N B) elementwise
    work (phi and the noise dominate), done by row blocks; large batches (N B >= 2^19) spread the
    blocks over the cores, with BLAS held at one thread for the duration of the run. That limit
    is process-wide (threadpoolctl), so BLAS calls made concurrently from other threads also
    run single-threaded meanwhile. No N x N matrix is formed.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> X0 = 0.7 * net.memory_rates()[:, :3]
    >>> result = euler_maruyama(net, X0, 0.01, 1000, sigma=0.02, seed=0, record_every=100)
    >>> result.final.shape, result.times.size
    ((1000, 3), 11)
    >>> bool(np.max(np.abs(result.final - net.memory_rates()[:, :3]).mean(axis=0)) < 0.05)
    True
    """
    form = check_choice("form", form, FORMS)
    X0 = _check_states(network, X0, "X0")
    dt = check_positive("dt", dt)
    if dt > network.tau:
        raise InvalidInput(
            f"`dt` must be <= tau = {network.tau:g} (an Euler step longer than the time constant is "
            f"inaccurate or unstable); got {dt!r}"
        )
    n_steps = check_positive_int("n_steps", n_steps)
    sigma = check_finite_float("sigma", sigma)
    if sigma < 0:
        raise InvalidInput(f"`sigma` must be >= 0; got {sigma!r}")
    if boundary is None:
        boundary = "reflect" if form == "rate" else "none"
    boundary = check_choice("boundary", boundary, BOUNDARIES)
    if form == "current" and boundary != "none":
        raise InvalidInput(f"`boundary`={boundary!r} needs form='rate'; the current form has no [0, 1] bounds")
    record_every = n_steps if record_every is None else check_positive_int("record_every", record_every)
    if np.dtype(dtype) not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise InvalidInput(f"`dtype` must be float64 or float32; got {np.dtype(dtype)}")
    dtype = np.dtype(dtype)
    t0 = check_finite_float("t0", t0)
    if steady_tol is not None:
        steady_tol = check_positive("steady_tol", steady_tol)
        if sigma > 0:
            raise InvalidInput(f"`steady_tol` needs a deterministic run; got steady_tol={steady_tol!r}, sigma={sigma!r}")
    single = X0.ndim == 1
    X = np.array(X0[:, None] if single else X0, dtype=dtype, order="C")
    if readout is not None:
        readout = np.asarray(readout)
        if readout.ndim != 2 or readout.shape[0] != network.n_units:
            raise InvalidInput(f"`readout` must have shape ({network.n_units}, K); got {readout.shape}")
        readout = np.ascontiguousarray(readout, dtype=dtype)
    n_records = n_steps // record_every + 2
    if readout is None and n_records * X.nbytes > _MAX_RECORD_BYTES:
        raise InvalidInput(
            f"recording {n_records} states of shape {X.shape} needs "
            f"{n_records * X.nbytes / 1e9:.1f} GB: pass `readout` or a larger `record_every`"
        )
    source = _Input(u, network.n_units, X.shape[1], dtype)
    int_seed = integer_seed(seed)
    generators = _noise_generators(seed, _block_count(*X.shape)) if sigma > 0 else []
    kernel = _Kernel(network, X, form=form, dt=dt, sigma=sigma, boundary=boundary, source=source, generators=generators)
    recorded, speeds, steps_recorded = [], [], []

    def record(step: int) -> None:
        recorded.append(X.copy() if readout is None else readout.T @ X)
        steps_recorded.append(step)

    status, step = EulerMaruyamaStatus.COMPLETED, n_steps
    with _single_threaded_blas():
        try:
            for k in range(n_steps):
                measure = k % record_every == 0
                if measure:
                    record(k)
                kernel.step(t0 + k * dt, measure=measure)
                if measure:
                    speeds.append(kernel.current_speed())
                    if steady_tol is not None and float(np.max(speeds[-1])) < steady_tol:
                        status, step = EulerMaruyamaStatus.STEADY, k + 1
                        break
        finally:
            kernel.close()
        record(step)
        speeds.append(np.max(np.abs(vector_field(network, X, t0 + step * dt, u=u, form=form)), axis=0))
    times = t0 + dt * np.array(steps_recorded, dtype=float)
    stacked = np.stack(recorded)
    speed = np.stack(speeds).astype(np.float64)
    final = X
    if single:
        final, stacked, speed = final[:, 0], stacked[..., 0], speed[:, 0]
    return EulerMaruyamaResult(
        times=_readonly(times),
        final=_readonly(final),
        states=_readonly(stacked) if readout is None else None,
        readouts=_readonly(stacked) if readout is not None else None,
        speed=_readonly(speed),
        dt=dt,
        sigma=sigma,
        n_steps=step,
        boundary=boundary,
        form=form,
        dtype=dtype.name,
        seed=int_seed,
        status=status,
    )
