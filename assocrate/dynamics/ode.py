"""Integration of the rate and current forms with solve_ivp, stopping at a steady state (theory.md §2).

:func:`simulate` integrates a network's vector field; :func:`integrate_to_steady` is the one
solve_ivp loop with a terminal ``||f||_inf < steady_tol`` event, restarted at every input switch,
which :func:`assocrate.dale.simulate_dale` shares.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.integrate

from .._validation import check_choice, check_positive, check_states, check_t_span, readonly
from ..core.design import FORMS, MemoryNetwork
from ..errors import InvalidInput
from .fields import InputLike, InputSource, vector_field

__all__ = ["SimulationResult", "SimulationStatus", "integrate_to_steady", "simulate"]


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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> x0 = 0.8 * net.memory_rates()[:, 0]
    >>> result = aa.simulate(net, x0, (0.0, 50.0))
    >>> result.status.name, bool(np.max(np.abs(result.final - net.memory_rates()[:, 0])) < 1e-5)
    ('STEADY', True)
    """
    form = check_choice("form", form, FORMS)
    x0 = check_states("x0", x0, network.n_units).astype(float)
    t0, t1 = check_t_span(t_span)
    if steady_tol is not None:
        steady_tol = check_positive("steady_tol", steady_tol)
    shape = x0.shape
    batch = shape[1] if x0.ndim == 2 else None
    source = InputSource(u, network.n_units, batch, np.float64)

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
        t=readonly(np.concatenate(times)),
        states=readonly(np.concatenate(states)),
        status=status,
        t_steady=t_steady,
        message=message,
        nfev=nfev,
        method=method,
        form=form,
        steady_tol=steady_tol,
        _solutions=tuple(solutions),
    )

