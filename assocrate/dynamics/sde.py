"""Batched Euler–Maruyama for the rate and current forms, by row blocks (theory.md §2, §7).

One step is ``x <- x + f(x) dt + sigma sqrt(dt) n`` for a batch (N, B) of trajectories, through the
low-rank factors of W (no N x N matrix); the row-block kernel threads large batches without
changing a single number (an entry's noise depends on the seed, the step and the entry alone).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._progress import as_progress
from .._validation import (
    as_generator,
    check_choice,
    check_finite_float,
    check_positive,
    check_positive_int,
    check_states,
    readonly,
)
from ..core.design import FORMS, MemoryNetwork
from ..errors import InvalidInput
from .fields import InputLike, InputSource
from .threads import single_threaded_blas
from .tiles import TileKernel, words_per_step

__all__ = ["BOUNDARIES", "EulerMaruyamaResult", "EulerMaruyamaStatus", "euler_maruyama", "integer_seed", "noise_key"]

#: Boundary treatments of Euler–Maruyama for the rate form (the current form has none); the first
#: is the default: no boundary, the paper's model.
BOUNDARIES = ("none", "reflect", "clip")

# Refuse to record full states beyond this many bytes (use `readout` or a larger `record_every`).
_MAX_RECORD_BYTES = 2 * 1024**3


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
        The last state (read-only, like every array here; when every state was recorded to the end,
        it is ``states[-1]`` itself, the same memory).
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


def integer_seed(seed: object) -> int | None:
    """The seed to record in a result: the integer when one was given, else None.

    Examples
    --------
    >>> integer_seed(7), integer_seed(np.random.default_rng(7)), integer_seed(None)
    (7, None, None)
    """
    return int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None


def noise_key(seed) -> int:
    """The key of a run's noise stream (``dynamics._fused.fill_normals``): one 64-bit draw from `seed`'s generator.

    Examples
    --------
    >>> noise_key(0) == noise_key(0) != noise_key(1)
    True
    """
    return int(as_generator(seed).integers(0, 2**64, dtype=np.uint64))


def euler_maruyama(
    network: MemoryNetwork,
    X0: np.ndarray,
    dt: float,
    n_steps: int,
    *,
    sigma: float,
    u: InputLike = None,
    form: str = "rate",
    boundary: str = "none",
    seed: int | np.random.Generator | None = None,
    record_every: int | None = None,
    readout: np.ndarray | None = None,
    dtype: type | np.dtype = np.float64,
    t0: float = 0.0,
    steady_tol: float | None = None,
    progress: Callable[[int, int], None] | bool | None = None,
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
    boundary : {"none", "reflect", "clip"}, default "none"
        What to do when a rate leaves [0, 1] (noise can push it out; the deterministic rate
        dynamics keep [0, 1] invariant). ``"none"`` (the default, and the only choice for the
        current form) integrates the model of the paper as written, like the authors' scripts:
        rates may leave [0, 1] by about the noise's spread. ``"reflect"`` folds rates back at 0
        and 1 and ``"clip"`` clips them; both bias the rates of units that sit at a wall. A unit
        at ``phi(a) ~ 0`` fluctuates like ``N(phi(a), sigma^2 tau / 2)`` (rate form, stationary),
        so reflection raises its mean by ``E|N(0, sigma^2 tau / 2)| = sigma sqrt(tau / pi)``
        (+0.056 at sigma = 0.1, tau = 1); clipping every step converges to reflection as dt -> 0
        (+0.053 at dt = 0.01, +0.055 at dt = 0.001); units at
        ``phi(b) ~ 1`` are lowered by the same amounts.
    seed : int, numpy.random.Generator or None
        Source of the noise; the same seed gives identical trajectories, whether or not the
        elementwise work runs in threads. The normals are the Box–Muller transform of a SplitMix64
        stream keyed by one draw from the seed's generator (``|n| <= 8.57``; float32 runs take the
        same draws rounded to float32).
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
    progress : callable or bool, optional
        Called as ``progress(step, n_steps)`` at every recorded step and at the end. ``True``: a
        rich progress bar on stderr (only on a terminal).

    Returns
    -------
    EulerMaruyamaResult

    Notes
    -----
    Each step costs two skinny GEMMs with the low-rank factors, O(N P B), plus O(N B) elementwise
    work (phi and the noise dominate), done tile by tile (a few hundred rows, so that the tile of
    the factors and the states stays in cache from the first product to the second), each tile in
    calls compiled with numba (:mod:`~assocrate.dynamics.tiles`; the first run in a process loads
    numba and its cached machine code, or compiles it: a few seconds per dtype, once). The sigmoid
    is ``1 / (1 + exp(-z))`` with an exp compiled into the pass (within 1 ulp), within 4 ulp of
    scipy's ``expit`` (which :func:`vector_field` uses): seeded trajectories differ in the last
    bits from releases whose step used ``expit`` or numpy's exp. Large batches (N B >= 2^19)
    spread the row blocks over the cores, with BLAS held at one thread for the duration of the
    run. That limit is process-wide (threadpoolctl), so BLAS calls made concurrently from other
    threads also run single-threaded meanwhile. No N x N matrix is formed.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> X0 = 0.7 * net.memory_rates()[:, :3]
    >>> result = aa.euler_maruyama(net, X0, 0.01, 1000, sigma=0.02, seed=0, record_every=100)
    >>> result.final.shape, result.times.size
    ((1000, 3), 11)
    >>> bool(np.max(np.abs(result.final - net.memory_rates()[:, :3]).mean(axis=0)) < 0.05)
    True
    """
    form = check_choice("form", form, FORMS)
    X0 = check_states("X0", X0, network.n_units)
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
    start = X0[:, None] if single else X0
    if sigma > 0 and n_steps * words_per_step(*start.shape) > 2**64:
        raise InvalidInput(f"`n_steps`={n_steps} noisy steps of this batch would exhaust the noise stream's 2^64 words")
    if readout is not None:
        readout = np.asarray(readout)
        if readout.ndim != 2 or readout.shape[0] != network.n_units:
            raise InvalidInput(f"`readout` must have shape ({network.n_units}, K); got {readout.shape}")
        readout = np.ascontiguousarray(readout, dtype=dtype)
    n_records = -(-n_steps // record_every) + 1  # steps 0, record_every, ... below n_steps, and the last
    state_bytes = start.size * dtype.itemsize
    if readout is None and n_records * state_bytes > _MAX_RECORD_BYTES:
        raise InvalidInput(
            f"recording {n_records} states of shape {start.shape} needs "
            f"{n_records * state_bytes / 1e9:.1f} GB: pass `readout` or a larger `record_every`"
        )
    source = InputSource(u, network.n_units, start.shape[1], dtype)
    progress = as_progress(progress, "Euler-Maruyama steps")
    int_seed = integer_seed(seed)
    key = noise_key(seed) if sigma > 0 else 0
    # each recorded state is copied once, into its slot (states are large: no list of copies to stack);
    # a run that may stop early (steady_tol) starts with a few slots and doubles them when full. When
    # every state is recorded to the end, the run's state lives in the last slot (no final copy).
    shape = start.shape if readout is None else (readout.shape[1], start.shape[1])
    recorded = np.empty((n_records if steady_tol is None else min(n_records, 16), *shape), dtype=dtype)
    in_place = readout is None and steady_tol is None
    X = recorded[-1] if in_place else np.empty(start.shape, dtype=dtype)
    X[...] = start
    kernel = TileKernel(network, X, form=form, dt=dt, sigma=sigma, boundary=boundary, source=source, key=key)
    speeds, steps_recorded = [], []

    def record(step: int) -> None:
        nonlocal recorded
        count = len(steps_recorded)
        if count == len(recorded):
            recorded = np.concatenate([recorded, np.empty((min(count, n_records - count), *shape), dtype=dtype)])
        slot = recorded[count]
        if readout is None:
            if not (in_place and count == len(recorded) - 1):  # that slot is X
                np.copyto(slot, X)
        else:
            np.matmul(readout.T, X, out=slot)
        steps_recorded.append(step)
        if progress is not None:
            progress(step, n_steps)

    status, step = EulerMaruyamaStatus.COMPLETED, n_steps
    with single_threaded_blas():
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
            record(step)
            speeds.append(kernel.speed_at(t0 + step * dt))
        finally:
            kernel.close()
    times = readonly(t0 + dt * np.array(steps_recorded, dtype=float))
    count = len(steps_recorded)  # below len(recorded) only after an early stop: keep no spare slots
    stacked = readonly(recorded if count == len(recorded) else recorded[:count].copy())
    speed, final = readonly(np.stack(speeds).astype(np.float64)), readonly(X)
    if single:  # views of read-only arrays are read-only
        final, stacked, speed = final[:, 0], stacked[..., 0], speed[:, 0]
    return EulerMaruyamaResult(
        times=times,
        final=final,
        states=stacked if readout is None else None,
        readouts=stacked if readout is not None else None,
        speed=speed,
        dt=dt,
        sigma=sigma,
        n_steps=step,
        boundary=boundary,
        form=form,
        dtype=dtype.name,
        seed=int_seed,
        status=status,
    )
