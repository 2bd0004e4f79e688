"""The row-tile kernel of the batched Euler–Maruyama step (theory.md §7): blocks, tiles, the reflecting fold.

:class:`TileKernel` advances an (N, B) batch in place, one step per call, through the low-rank
factors of W; :func:`~assocrate.dynamics.euler_maruyama` drives it and records. The rows are cut
into blocks, the units of work of the threads (:func:`block_count`), and the blocks into tiles that
fit a core's L2 cache (:func:`tiling`); the compiled work per tile is :mod:`._fused`, its noise
:func:`._fused.fill_normals` (a counter-based stream: an entry's noise depends on the key, the step and the
entry alone, so the results do not depend on the blocks, the tiles or the threads).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .fields import affine_part, phi_inplace
from .threads import block_workers

__all__ = ["TileKernel", "block_count", "reflect", "tiling", "words_per_step"]

# The rows are cut into blocks that threads take on demand: up to 8, about one per `_BLOCK_ENTRIES`
# state entries.
_MAX_BLOCKS = 8
_BLOCK_ENTRIES = 1 << 16
# A block is worked in tiles of rows whose factor, state and drive rows (m + 2 B entries each) number
# about this many: 512 kB of float64 (256 kB of float32; plus the tile of R when W is not symmetric),
# half a core's L2 cache here (N = 10^5, P = 50, B = 32: 569 rows)
_TILE_ENTRIES = 1 << 16


class TileKernel:
    """Preallocated buffers and the row-tile pipeline of one Euler–Maruyama step.

    ``W Y = L (c * (R^T Y))`` tile by tile: the rows are cut into blocks and the blocks into tiles
    of a few hundred rows (:func:`tiling`), small enough that a tile of L (and R), of the states and
    of the drive stays in the core's L2 cache while a step works on it. Per tile (:mod:`._fused`):
    ``H = L_t (c * R^T Y)`` (+ the input), the next tile's rows of L loaded into the cache, the
    elementwise work (phi, update, noise, boundary) in one compiled pass, and the tile's share
    ``R_t^T Y_t`` of the next step's (P+1) x B coefficient matrix, added to its block's in row order
    (so each step reads the factors and the states once, and the sum does not depend on the
    threads). When phi is compiled the whole block is one call (:func:`._fused.block_pass`); other
    activations take their phi from numpy between the tile's calls. The calling thread and, for
    large batches, worker threads take the blocks on demand; BLAS runs single-threaded inside them
    (the caller holds `single_threaded_blas`) and the compiled calls release the GIL. The noise of
    step s is the segment of the stream with `key` from position ``s S`` (``S`` =
    :func:`words_per_step`), so the results do not depend on the threading.
    """

    def __init__(self, network, X, *, form, dt, sigma, boundary, source, key):
        # numba loads with the first Euler–Maruyama run, not with `import assocrate`
        from ._fused import (
            FUSED_CORES,
            Boundary,
            Phi,
            block_pass,
            drive_tile,
            measure_tile,
            phi_tile,
            share_tile,
            touch_rows,
            update_tile,
        )

        self.block_pass, self.drive_tile, self.update_tile = block_pass, drive_tile, update_tile
        self.measure_tile, self.phi_tile, self.share_tile, self.touch_rows = measure_tile, phi_tile, share_tile, touch_rows
        self.network, self.X, self.form, self.source = network, X, form, source
        self.dtype = X.dtype
        n_units, batch = X.shape
        # W Y = L (c * (R^T Y)); L = R for a symmetric W (theory.md §3)
        single = self.dtype == np.float32
        self.L = np.ascontiguousarray(network.L32 if single else network.L)
        self.R = self.L if network.is_symmetric else np.ascontiguousarray(network.R32 if single else network.R)
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
        # phi's scale and shift when not folded, for the compiled sigmoid: -z = h * (-scale) - shift
        # (in the states' dtype: float32 keeps float32 arithmetic); other activations take numpy's phi
        unfolded = (1.0, 0.0) if self.affine is not None or affine is None else affine[:2]
        self.neg_scale, self.phi_shift = self.dtype.type(-unfolded[0]), self.dtype.type(unfolded[1])
        self.unfolded_sigmoid = form == "rate" and self.compiled_phi and self.affine is None
        self.u_scale = self.dtype.type(scale * sign)
        self.no_input = np.zeros((0, 0), dtype=self.dtype)
        self.coefficients = np.empty((self.L.shape[1], batch), dtype=self.dtype)
        self.rate = self.dtype.type(dt / network.tau)
        self.noise_scale = self.dtype.type(sigma * math.sqrt(dt))
        self.boundary = int(Boundary[boundary.upper()])
        # the noise stream: its key, the words a step takes and the current step's first position
        self.key = np.uint64(key) if sigma > 0.0 else None
        self.step_words, self.position = words_per_step(n_units, batch), 0
        self.blocks, self.bounds, self.first = tiling(n_units, batch, self.L.shape[1])
        tile_rows = int(np.max(np.diff(self.bounds)))
        self.buffers = [np.empty((tile_rows, batch), dtype=self.dtype) for _ in self.blocks]
        # per block: its share of the coefficients (its tiles' shares summed in row order), a scratch
        # for a tile's share, and its part of the speed
        self.shares = np.zeros((len(self.blocks), *self.coefficients.shape), dtype=self.dtype)
        self.scratch = [np.empty_like(self.coefficients) for _ in self.blocks]
        self.speeds = np.zeros((len(self.blocks), batch), dtype=np.float64)
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
        if measure:
            self.speeds[:] = 0.0
        self._map(self._update_block)
        self.position += self.step_words

    def speed_at(self, t: float) -> np.ndarray:
        """``||f(X, t)||_inf`` per trajectory (the drift; `X` does not move), as a step measures it."""
        self._coefficients(t)
        self.speeds[:] = 0.0
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
            rows = self._rows(t)  # loads at full speed, then the product in cache (see touch_rows)
            self.touch_rows(self.R, rows.start, rows.stop)
            self.touch_rows(self.X, rows.start, rows.stop)
            self._share_tile(i, t)

    def _share_tile(self, i: int, t: int) -> None:
        """Add tile t's ``R_t^T Y_t`` to block i's share, ``Y = X`` (rate form) or ``phi(X)`` (current form)."""
        rows = self._rows(t)
        Y = self.X[rows]
        if self.form == "current":
            Y = self.buffers[i][: rows.stop - rows.start]
            if self.compiled_phi:
                self.phi_tile(self.X[rows], Y, self.share_kind, self.neg_scale, self.phi_shift)
            else:
                np.copyto(Y, self.X[rows])
                phi_inplace(self.network.activation, Y)
        self.share_tile(self.R, Y, rows.start, self.shares[i], self.scratch[i], t == self.first[i])

    def _drive_tile(self, i: int, t: int) -> np.ndarray:
        """Tile t's rows of ``H = W Y + u`` as the pass takes them (phi applied by numpy, or -z), in block i's buffer."""
        rows = self._rows(t)
        H = self.buffers[i][: rows.stop - rows.start]
        self.drive_tile(self.L, self.coefficients, rows.start, self.u_t, self.u_scale, self.neg_scale,
                        self.phi_shift, self.unfolded_sigmoid, H)
        if self.form == "rate" and not self.compiled_phi:
            if self.affine is not None:
                self.affine[2](H)
            else:
                phi_inplace(self.network.activation, H)
        return H

    def _update_block(self, i: int) -> None:
        tiles = self._tiles(i)
        start, stop = tiles.start, tiles.stop
        while start < stop:
            fold = self._block_pass(i, start, stop) if self.compiled_phi else self._tile_passes(i, start, stop)
            if fold < 0:
                return
            rows = self._rows(fold)
            np.copyto(self.X[rows], self.buffers[i][: rows.stop - rows.start])
            reflect(self.X[rows])
            self._share_tile(i, fold)
            start = fold + 1

    def _pass_arguments(self) -> tuple:
        """The arguments of :func:`._fused.update_tile` after `H`, `X` and the tile's first row, to the boundary."""
        noise = None if self.key is None else (self.key, np.uint64(self.position))
        return (self.update_kind, self.rate, noise, self.noise_scale, self.boundary)

    def _block_pass(self, i: int, start: int, stop: int) -> int:
        """Tiles start .. stop - 1 of block i in one compiled call; the first tile to fold, or -1."""
        drive = (self.u_t, self.u_scale, self.neg_scale, self.phi_shift, self.unfolded_sigmoid)
        step = (*self._pass_arguments(), self.measure)
        share = (self.share_kind, self.neg_scale, self.phi_shift)
        return self.block_pass(self.L, self.R, self.coefficients, self.X, self.bounds, start, stop, self.first[i],
                               drive, step, share, self.buffers[i], self.shares[i], self.scratch[i], self.speeds[i])

    def _tile_passes(self, i: int, start: int, stop: int) -> int:
        """:meth:`_block_pass` tile by tile, phi by numpy between the compiled calls."""
        for t in range(start, stop):
            rows = self._rows(t)
            H = self._drive_tile(i, t)
            if t + 1 < stop:
                self.touch_rows(self.L, rows.stop, int(self.bounds[t + 2]))
            if self.update_tile(H, self.X[rows], rows.start, *self._pass_arguments(), self.speeds[i], self.measure):
                return t
            self._share_tile(i, t)
        return -1

    def _speed_block(self, i: int) -> None:
        """``speeds[i]`` = ``max |phi(H) - X|`` per column over block i, as the pass measures it."""
        for t in self._tiles(i):
            rows = self._rows(t)
            self.touch_rows(self.L, rows.start, rows.stop)
            self.measure_tile(self._drive_tile(i, t), self.X[rows], self.update_kind, self.speeds[i])

    def current_speed(self) -> np.ndarray:
        return self.speeds.max(axis=0) / self.network.tau


def _drain(function: Callable[[int], None], pending: Iterator[int]) -> None:
    for i in pending:
        function(i)


def reflect(X: np.ndarray) -> None:
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


def words_per_step(n_units: int, batch: int) -> int:
    """Noise stream words one step of an (N, B) batch takes (:func:`._fused.fill_normals`): N B rounded up to even."""
    return n_units * batch + (n_units * batch) % 2


def block_count(n_units: int, batch: int) -> int:
    """Row blocks of the elementwise work for an (N, B) batch."""
    return int(min(_MAX_BLOCKS, n_units, max(1, n_units * batch // _BLOCK_ENTRIES)))


def tiling(n_units: int, batch: int, rank: int) -> tuple[list[slice], np.ndarray, list[int]]:
    """Row blocks, tile boundaries and each block's first tile, for an (N, B) batch and rank m = P + 1.

    A tile has ``_TILE_ENTRIES // (m + 2 B)`` rows (its rows of the factor, the states and the
    drive), but at least ``_TILE_ENTRIES / 1024`` (64; and 1): a tile's share, m B entries, is added
    to its block's once per tile, which wide batches would otherwise make as costly as the tile
    (B = 4096: 7-row tiles). The last tile of a block may be shorter. Tile t is rows
    ``bounds[t]:bounds[t + 1]``; block i has tiles ``first[i] .. first[i + 1] - 1``.

    Examples
    --------
    >>> blocks, bounds, first = tiling(1000, 32, 51)
    >>> blocks, bounds.tolist(), first
    ([slice(0, 1000, None)], [0, 569, 1000], [0, 2])
    """
    edges = np.linspace(0, n_units, block_count(n_units, batch) + 1).astype(int)
    rows = max(1, _TILE_ENTRIES >> 10, _TILE_ENTRIES // (rank + 2 * batch))
    blocks, bounds, first = [], [0], [0]
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist()):
        if hi > lo:
            blocks.append(slice(lo, hi))
            bounds.extend(range(lo + rows, hi, rows))
            bounds.append(hi)
            first.append(len(bounds) - 1)
    return blocks, np.array(bounds, dtype=np.int64), first
