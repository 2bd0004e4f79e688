"""Batched Euler–Maruyama for the rate and current forms, by row blocks (theory.md §2, §7).

One step is ``x <- x + f(x) dt + sigma sqrt(dt) n`` for a batch (N, B) of trajectories, through the
low-rank factors of W (no N x N matrix); the row-block kernel threads large batches without
changing a single number (each block owns its noise stream).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from ._gaussian import fill_standard_normal
from .fields import InputLike, InputSource, affine_part, phi_inplace
from .threads import block_workers, single_threaded_blas

__all__ = ["BOUNDARIES", "EulerMaruyamaResult", "EulerMaruyamaStatus", "euler_maruyama", "integer_seed"]

#: Boundary treatments of Euler–Maruyama for the rate form (the current form has none); the first
#: is the default: no boundary, the paper's model.
BOUNDARIES = ("none", "reflect", "clip")

# Noise is drawn per block of rows, each with its own generator, so the same seed gives the same
# trajectories whether the blocks run in worker threads or not. The number of blocks depends only
# on the problem size: up to 8, about one per `_BLOCK_ENTRIES` state entries.
_NOISE_BLOCKS = 8
_BLOCK_ENTRIES = 1 << 16
# A block is worked in tiles of rows whose factor, state and drive rows (m + 2 B entries each) number
# about this many: 512 kB of float64, half a core's L2 cache here (N = 10^5, P = 50, B = 32: 569 rows)
_TILE_ENTRIES = 1 << 16
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
    """Preallocated buffers and the row-tile pipeline of one Euler–Maruyama step.

    ``W Y = L (c * (R^T Y))`` tile by tile: the rows are cut into blocks (each with its own noise
    stream) and the blocks into tiles of a few hundred rows (:func:`_tiling`), small enough that a
    tile of L (and R), of the states and of the drive stays in the core's L2 cache while a step
    works on it. Per tile (:mod:`._fused`): ``H = L_t (c * R^T Y)`` (+ the input), the elementwise
    work (phi, update, noise, boundary) in one compiled pass, and the tile's share ``R_t^T Y_t`` of
    the next step's (P+1) x B coefficient matrix, so each step reads the factors and the states
    once. When phi is compiled the whole block is one call (:func:`._fused.block_pass`); other
    activations take their phi from numpy between the tile's calls. The calling thread and, for
    large batches, worker threads take the blocks on demand; BLAS runs single-threaded inside them
    (the caller holds `single_threaded_blas`) and the compiled calls release the GIL. Each block
    owns its noise generator, so the results do not depend on the threading.
    """

    def __init__(self, network, X, *, form, dt, sigma, boundary, source, generators):
        # numba loads with the first Euler–Maruyama run, not with `import assocrate`
        from ._fused import (
            FUSED_CORES,
            Boundary,
            Noise,
            Phi,
            block_pass,
            drive_tile,
            measure_tile,
            phi_tile,
            share_tile,
            update_tile,
        )

        self.block_pass, self.drive_tile, self.update_tile = block_pass, drive_tile, update_tile
        self.measure_tile, self.phi_tile, self.share_tile = measure_tile, phi_tile, share_tile
        self.network, self.X, self.form, self.source = network, X, form, source
        self.dtype = X.dtype
        n_units, batch = X.shape
        # W Y = L (c * (R^T Y)); L = R for a symmetric W (theory.md §3)
        self.L = np.ascontiguousarray(network.L32 if self.dtype == np.float32 else network.L)
        self.R = self.L if network.is_symmetric else np.ascontiguousarray(network.R, dtype=self.dtype)
        self.kind = FUSED_CORES.get(type(network.activation), Phi.GIVEN)
        self.compiled_phi = self.kind != Phi.GIVEN
        self.update_kind = int(self.kind if form == "rate" else Phi.GIVEN)
        # the compiled share takes phi of X (current form) or X itself (Phi.GIVEN)
        self.share_kind = int(self.kind if form == "current" else Phi.GIVEN)
        # Rate form: fold phi's affine part into the small coefficient matrix, so that the GEMM
        # returns z = scale (W x) + shift directly (L's last column is the constant 1), or -z
        # (exactly: negation is exact) when the pass takes the sigmoid of exp(-z).
        affine = affine_part(network.activation)
        self.affine = affine if form == "rate" and affine is not None and np.all(network.L[:, -1] == 1.0) else None
        sign = -1.0 if self.affine is not None and self.compiled_phi else 1.0
        scale = 1.0 if self.affine is None else self.affine[0]
        self.c = (network.c * scale * sign).astype(self.dtype)[:, None]
        self.shift = None if self.affine is None else sign * self.affine[1]
        # phi's scale and shift when not folded (float32 keeps float32 arithmetic): numpy applies them,
        # or the compiled calls do as -z = h * (-scale) - shift
        unfolded = (1.0, 0.0) if self.affine is not None or affine is None else affine[:2]
        self.phi_scale, self.phi_shift = (self.dtype.type(value) for value in unfolded)
        self.unfolded_sigmoid = form == "rate" and self.compiled_phi and self.affine is None
        self.u_scale = self.dtype.type(scale * sign)
        self.no_input = np.zeros((0, 0), dtype=self.dtype)
        self.coefficients = np.empty((self.L.shape[1], batch), dtype=self.dtype)
        self.rate = self.dtype.type(dt / network.tau)
        self.noise_scale = self.dtype.type(sigma * math.sqrt(dt))
        self.boundary = int(Boundary[boundary.upper()])
        # float64 noise is drawn in the compiled pass; float32 noise is a numpy fill read by it
        noise = Noise.NONE if sigma == 0.0 else Noise.DRAW if self.dtype == np.float64 else Noise.READ
        self.noise_mode, self.fill_noise = int(noise), noise == Noise.READ
        self.noise = np.empty_like(X) if self.fill_noise else None
        self.blocks, self.bounds, self.first = _tiling(n_units, batch, self.L.shape[1])
        tile_rows = int(np.max(np.diff(self.bounds)))
        self.buffers = [np.empty((tile_rows, batch), dtype=self.dtype) for _ in self.blocks]
        # without noise the pass takes (and never draws from) a placeholder generator
        self.generators = generators or [np.random.Generator(np.random.SFC64(0))] * len(self.blocks)
        self.shares = np.zeros((len(self.bounds) - 1, *self.coefficients.shape), dtype=self.dtype)
        self.speeds = np.zeros((len(self.bounds) - 1, batch), dtype=np.float64)
        self.workers = block_workers(len(self.blocks), X.size)  # one per core for large batches
        self.pool = ThreadPoolExecutor(self.workers - 1) if self.workers > 1 else None
        self.measure, self.u_t, self.shares_ready = False, self.no_input, False  # shares_ready: of the current X

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def _map(self, function: Callable[[int], None]) -> None:
        """Call ``function(i)`` for every block; this thread and the workers take blocks from one queue
        (on demand, so that a core the machine slows down does fewer; the results do not change)."""
        pending = iter(range(len(self.blocks)))  # next() on it is atomic under the GIL
        futures = [self.pool.submit(_drain, function, pending) for _ in range(self.workers - 1)] if self.pool else []
        _drain(function, pending)
        for future in futures:
            future.result()

    def step(self, t: float, *, measure: bool) -> None:
        """Advance `X` in place by one step from time `t`; with `measure`, fill ``speeds`` first."""
        self.measure = measure
        self._coefficients(t)
        self._map(self._update_block)

    def speed_at(self, t: float) -> np.ndarray:
        """``||f(X, t)||_inf`` per trajectory (the drift; `X` does not move), as a step measures it."""
        self._coefficients(t)
        self._map(self._speed_block)
        return self.current_speed()

    def _coefficients(self, t: float) -> None:
        """The input at `t` and the (P+1) x B coefficient matrix ``c * R^T Y`` (+ phi's folded shift)."""
        value = self.source.value(t)
        self.u_t = self.no_input if value is None else value.reshape(1, 1) if value.ndim == 0 else value
        if not self.shares_ready:
            self._map(self._first_share_block)
            self.shares_ready = True
        np.sum(self.shares, axis=0, out=self.coefficients)
        self.coefficients *= self.c
        if self.shift is not None:
            self.coefficients[-1] += self.shift

    def _tiles(self, i: int) -> range:
        return range(self.first[i], self.first[i + 1])

    def _rows(self, t: int) -> slice:
        return slice(int(self.bounds[t]), int(self.bounds[t + 1]))

    def _first_share_block(self, i: int) -> None:
        for t in self._tiles(i):
            self._share_tile(i, t)

    def _share_tile(self, i: int, t: int) -> None:
        """``shares[t] = R_t^T Y_t`` with ``Y = X`` (rate form) or ``phi(X)`` (current form)."""
        rows = self._rows(t)
        Y = self.X[rows]
        if self.form == "current":
            Y = self.buffers[i][: rows.stop - rows.start]
            if self.compiled_phi:
                self.phi_tile(self.X[rows], Y, int(self.kind), -self.phi_scale, self.phi_shift)
            else:
                np.copyto(Y, self.X[rows])
                phi_inplace(self.network.activation, Y)
        self.share_tile(self.R, Y, rows.start, self.shares[t])

    def _drive_tile(self, i: int, t: int) -> np.ndarray:
        """Tile t's rows of ``H = W Y + u`` as the pass takes them (phi applied by numpy, or -z), in block i's buffer."""
        rows = self._rows(t)
        H = self.buffers[i][: rows.stop - rows.start]
        self.drive_tile(self.L, self.coefficients, rows.start, self.u_t, self.u_scale, -self.phi_scale,
                              self.phi_shift, self.unfolded_sigmoid, H)
        if self.form == "rate" and not self.compiled_phi:
            if self.affine is not None:
                self.affine[2](H)
            else:
                phi_inplace(self.network.activation, H)
        return H

    def _update_block(self, i: int) -> None:
        if self.fill_noise:
            fill_standard_normal(self.generators[i], self.noise[self.blocks[i]])
        start, stop = self._tiles(i).start, self._tiles(i).stop
        while start < stop:
            fold = self._block_pass(i, start, stop) if self.compiled_phi else self._tile_passes(i, start, stop)
            if fold < 0:
                return
            rows = self._rows(fold)
            np.copyto(self.X[rows], self.buffers[i][: rows.stop - rows.start])
            _reflect(self.X[rows])
            self._share_tile(i, fold)
            start = fold + 1

    def _pass_arguments(self, i: int) -> tuple:
        """The arguments of :func:`._fused.update_tile` after `H` and `X`, but the noise and the speed."""
        return (self.update_kind, self.rate, self.noise_mode, self.generators[i])

    def _block_pass(self, i: int, start: int, stop: int) -> int:
        """Tiles start .. stop - 1 of block i in one compiled call; the first tile to fold, or -1."""
        noise = self.noise if self.fill_noise else self.buffers[i]
        drive = (self.u_t, self.u_scale, -self.phi_scale, self.phi_shift, self.unfolded_sigmoid)
        step = (*self._pass_arguments(i), noise, self.noise_scale, self.boundary, self.measure)
        share = (self.share_kind, -self.phi_scale, self.phi_shift)
        return self.block_pass(self.L, self.R, self.coefficients, self.X, self.bounds, start, stop, drive,
                                     step, share, self.buffers[i], self.shares, self.speeds)

    def _tile_passes(self, i: int, start: int, stop: int) -> int:
        """:meth:`_block_pass` tile by tile, phi by numpy between the compiled calls."""
        for t in range(start, stop):
            rows = self._rows(t)
            H = self._drive_tile(i, t)
            noise = self.noise[rows] if self.fill_noise else H
            if self.update_tile(H, self.X[rows], *self._pass_arguments(i), noise, self.noise_scale,
                                      self.boundary, self.speeds[t], self.measure):
                return t
            self._share_tile(i, t)
        return -1

    def _speed_block(self, i: int) -> None:
        """``speeds[t]`` = ``max |phi(H) - X|`` per column over each tile of block i, as the pass measures it."""
        for t in self._tiles(i):
            self.measure_tile(self._drive_tile(i, t), self.X[self._rows(t)], self.update_kind, self.speeds[t])

    def current_speed(self) -> np.ndarray:
        return self.speeds.max(axis=0) / self.network.tau


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


def _tiling(n_units: int, batch: int, rank: int) -> tuple[list[slice], np.ndarray, list[int]]:
    """Row blocks, tile boundaries and each block's first tile, for an (N, B) batch and rank m = P + 1.

    A tile has ``max(1, _TILE_ENTRIES // (m + 2 B))`` rows (the last of a block fewer): its rows of
    the factor, the states and the drive. Tile t is rows ``bounds[t]:bounds[t + 1]``; block i has
    tiles ``first[i] .. first[i + 1] - 1``.

    Examples
    --------
    >>> blocks, bounds, first = _tiling(10, 1, 65534)
    >>> blocks, bounds.tolist(), first
    ([slice(0, 10, None)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 10])
    """
    edges = np.linspace(0, n_units, _block_count(n_units, batch) + 1).astype(int)
    rows = max(1, _TILE_ENTRIES // (rank + 2 * batch))
    blocks, bounds, first = [], [0], [0]
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist()):
        if hi > lo:
            blocks.append(slice(lo, hi))
            bounds.extend(range(lo + rows, hi, rows))
            bounds.append(hi)
            first.append(len(bounds) - 1)
    return blocks, np.array(bounds, dtype=np.int64), first


def integer_seed(seed: object) -> int | None:
    """The seed to record in a result: the integer when one was given, else None.

    Examples
    --------
    >>> integer_seed(7), integer_seed(np.random.default_rng(7)), integer_seed(None)
    (7, None, None)
    """
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
        Source of the noise; the same seed (and dtype) gives identical trajectories, whether or not
        the elementwise work runs in threads. float32 and float64 draw different noise streams
        (float64 by numpy's ziggurat, float32 by the Box–Muller transform, ``|n| <= 6.76``).
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
    work (phi and the noise dominate), done by row blocks, each in one pass compiled with numba
    (the first run in a process loads numba and its cached machine code, or compiles it: about 2 s
    per dtype, once). The sigmoid is ``1 / (1 + exp(-z))`` on numpy's vectorised ``exp``, within
    4 ulp of scipy's ``expit`` (which :func:`vector_field` uses): seeded trajectories differ in the
    last bits from releases whose step used ``expit``. Large batches (N B >= 2^19) spread the
    blocks over the cores, with BLAS held at one thread for the duration of the run. That limit
    is process-wide (threadpoolctl), so BLAS calls made concurrently from other threads also
    run single-threaded meanwhile. No N x N matrix is formed.

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
    source = InputSource(u, network.n_units, X.shape[1], dtype)
    progress = as_progress(progress, "Euler-Maruyama steps")
    int_seed = integer_seed(seed)
    generators = _noise_generators(seed, _block_count(*X.shape)) if sigma > 0 else []
    kernel = _Kernel(network, X, form=form, dt=dt, sigma=sigma, boundary=boundary, source=source, generators=generators)
    # each recorded state is copied once, into its slot (states are large: no list of copies to stack)
    shape = (n_records, *X.shape) if readout is None else (n_records, readout.shape[1], X.shape[1])
    recorded, speeds, steps_recorded = np.empty(shape, dtype=dtype), [], []

    def record(step: int) -> None:
        slot = recorded[len(steps_recorded)]
        if readout is None:
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
    times = t0 + dt * np.array(steps_recorded, dtype=float)
    stacked = recorded[: len(steps_recorded)]
    speed = np.stack(speeds).astype(np.float64)
    final = X
    if single:
        final, stacked, speed = final[:, 0], stacked[..., 0], speed[:, 0]
    return EulerMaruyamaResult(
        times=readonly(times),
        final=readonly(final),
        states=readonly(stacked) if readout is None else None,
        readouts=readonly(stacked) if readout is not None else None,
        speed=readonly(speed),
        dt=dt,
        sigma=sigma,
        n_steps=step,
        boundary=boundary,
        form=form,
        dtype=dtype.name,
        seed=int_seed,
        status=status,
    )
