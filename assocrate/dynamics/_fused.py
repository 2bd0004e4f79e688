"""One Euler–Maruyama step on a row tile, compiled (numba): products, phi, update, noise, boundary.

A step is done tile by tile (a few hundred rows: the tile of the factors, the states and the
drive stay in the core's L2 cache from the first product to the last):

- :func:`drive_tile`: ``H = L_t C`` (BLAS, through numba's ``np.dot``), plus the input;
- :func:`update_tile`: for every entry in C order, ``phi``, the update ``x + (phi - x) dt/tau``,
  the noise ``+ sigma sqrt(dt) n`` and the boundary, in the same floating-point operations and order
  as the numpy reference of ``tests/dynamics/test_fused.py`` (bit for bit);
- :func:`share_tile`: the tile's share ``R_t^T Y_t`` of the next step's (P+1) x B coefficients,
  added to its block's share in row order;
- :func:`block_pass` runs these for all tiles of a row block in one call, when phi is compiled
  (:data:`FUSED_CORES`); other activations get their phi from numpy between the calls.

The sigmoid is ``1 / (1 + e)`` with ``e = exp(-z)`` from :func:`._elementary.exp_clamped`, an
exp that LLVM vectorises inside the pass (where ``exp(-z)`` overflows the logistic is 0; below its
clamp at -708 it is 1 either way). float32 states take it in float64, rounded once to float32; the
rest of their arithmetic stays float32. The logistic is within 4 ulp of scipy's ``expit``; seeded
trajectories differ in the last bits from releases that used ``expit`` or numpy's exp.

The noise is drawn in the pass, after the update has read the drive: :func:`._normals.fill_normals`
writes the tile's standard normals into `H` (float64 draws, rounded once for float32 states),
which depend only on the key, the step and the entry, not on blocks, tiles or threads. The
reflecting boundary folds each entry in ``[-1, 2]`` on the spot (``min(|x|, 2 - |x|)``); a tile
with an entry beyond, a NaN or a ``-0.0`` that numpy would keep takes the numpy fold on the whole
tile (the tile-level rule of ``tiles.reflect``), from the unfolded values the pass leaves in `H`.

Compiled with ``cache=True`` (the machine code is kept next to this file, or in numba's user
cache when that is not writable), ``nogil=True`` (row blocks run in parallel in threads) and
numba's numpy error model: no ZeroDivisionError check, which would keep LLVM from vectorising the
one division, ``1 / (1 + e)`` with ``1 + e >= 1``. numba is imported with this module, which the
Euler–Maruyama kernel imports on first use: ``import assocrate`` does not load it.
"""

from __future__ import annotations

import enum
import math

import numba
import numpy as np

from ..core.activations import Sigmoid
from ._elementary import exp_clamped, like
from ._normals import fill_normals

__all__ = [
    "FUSED_CORES", "Boundary", "Phi", "block_pass", "drive_tile", "measure_tile", "phi_tile", "share_tile", "update_tile",
]


class Phi(enum.IntEnum):
    """What the pass does with phi."""

    #: nothing: `H` already holds phi (applied by numpy), or the current form's ``W phi + u``
    GIVEN = 0
    #: the logistic ``1 / (1 + exp(h))``: `H` holds ``h = -z``, ``z = scale h + shift``
    #: (:class:`~assocrate.core.activations.Sigmoid`)
    SIGMOID = 1


class Boundary(enum.IntEnum):
    """The boundaries of ``sde.BOUNDARIES``."""

    NONE = 0
    CLIP = 1
    REFLECT = 2


#: The activations whose phi the pass evaluates itself (the others' phi is applied by numpy first).
FUSED_CORES = {Sigmoid: Phi.SIGMOID}


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _phi(kind, h):
    """phi of one entry from what `H` holds (a float32 one keeps float32 arithmetic in float32)."""
    if kind == Phi.SIGMOID:
        e = like(exp_clamped(h), h)
        one = np.float32(1.0)
        return one / (one + e)
    return h


@numba.njit(cache=True, nogil=True, error_model="numpy")
def phi_tile(X, Y, kind, neg_scale, shift):
    """``Y = phi(X * neg_scale - shift)`` entrywise for :data:`Phi` `kind` (`Y` may be `X`).

    For the sigmoid ``phi(x) = 1 / (1 + exp(-z))``, ``z = k x - k c``, ``neg_scale = -k`` and
    ``shift = -k c`` give ``h = -z``, rounded as numpy rounds ``X * neg_scale - shift``.
    """
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i, j] = _phi(kind, X[i, j] * neg_scale - shift)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def drive_tile(L, C, a, u, u_scale, neg_scale, shift, unfolded, H):
    """``H = L[a:a+n] C + u * u_scale`` for the tile's n rows; then ``H * neg_scale - shift`` if `unfolded`.

    `u` is (N, B), (N, 1) or (1, 1), or (0, 0) for no input.
    """
    n, batch = H.shape
    np.dot(L[a:a + n], C, H)
    if u.shape[0] > 0:
        rows, columns = u.shape[0] > 1, u.shape[1] > 1
        for i in range(n):
            for j in range(batch):
                H[i, j] += u[a + i if rows else 0, j if columns else 0] * u_scale
    if unfolded:
        for i in range(n):
            for j in range(batch):
                H[i, j] = H[i, j] * neg_scale - shift


@numba.njit(cache=True, nogil=True, error_model="numpy")
def share_tile(R, Y, a, out, scratch, first):
    """Add ``R[a:a+n]^T Y`` (the tile's n rows) to `out`, or write it there for the block's `first` tile.

    Tile by tile in row order, so a block's share is one fixed sum whatever the threads do; the
    tile of `R` is still in cache from the drive. `scratch` is an (m, B) array.
    """
    if first:
        np.dot(R[a:a + Y.shape[0]].T, Y, out)
    else:
        np.dot(R[a:a + Y.shape[0]].T, Y, scratch)
        out += scratch


@numba.njit(cache=True, nogil=True, error_model="numpy")
def measure_tile(H, X, kind, speed):
    """``speed = max(speed, |phi(H) - X|)`` per column (:data:`Phi` `kind`); a NaN sticks, as in numpy's max."""
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            size = abs(_phi(kind, H[i, j]) - X[i, j])
            if size > speed[j] or size != size:
                speed[j] = size


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _update(H, X, kind, rate):
    """``X = X + (phi(H) - X) * rate`` entrywise.

    The loop has no branches, so LLVM vectorises it, exp and division included: numba's numpy error
    model (no ZeroDivisionError check; here ``1 + e >= 1``) lets ``1 / (1 + e)`` become ``vdivpd``
    (IEEE division is correctly rounded either way, so the numbers are the same bits). `H` must not
    be `X` (the vectorised loop checks the two do not overlap and runs scalar, 6x slower, if they do).
    """
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            x = X[i, j]
            X[i, j] = x + (_phi(kind, H[i, j]) - x) * rate


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _noise_and_boundary(H, X, noise, noise_scale, boundary):
    """``x = X + H * noise_scale`` (`H` holding the noise, if `noise`), then the boundary, in place on `X`;
    True if the tile needs the numpy fold."""
    far = negative = negative_zero = False
    zero, one, two = np.float32(0.0), np.float32(1.0), np.float32(2.0)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            x = X[i, j]
            if noise:
                x = x + H[i, j] * noise_scale
            if boundary == Boundary.CLIP:  # as np.clip: a NaN stays, and so does -0.0
                x = min(max(x, zero), one)
            elif boundary == Boundary.REFLECT:
                H[i, j] = x
                # without branches (noise sends the entries near 0 either way): |, not or
                far |= not ((x >= -1.0) & (x <= 2.0))  # beyond one reflection, or NaN
                negative |= x < zero
                negative_zero |= (x == zero) & (math.copysign(1.0, x) < 0.0)
                x = abs(x)
                x = min(x, two - x)
            X[i, j] = x
    return far or (negative_zero and not negative)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def update_tile(H, X, a, kind, rate, noise, noise_scale, boundary, speed, measure):
    """One step's elementwise work on the tile of rows ``a, a + 1, ...``, in place on `X`; True if it needs the numpy fold.

    Per entry: ``d = phi(H) - X`` (phi of :data:`Phi` `kind`; ``||d||_inf`` per column into `speed`
    when `measure`), ``x = X + d * rate``, ``x = x + n * noise_scale``, then the boundary, in three
    loops (the first two vectorise; the same operations on every entry as in one loop). `noise` is
    ``(key, base)`` (uint64: the stream and the step's position in it) or None; the tile's normals
    ``n`` (:func:`._normals.fill_normals`) are written into `H` once the update has read it. With
    ``boundary == Boundary.REFLECT``, `H` is left holding the unfolded ``x`` and the result says
    whether the whole tile must be folded from it by numpy: an entry outside ``[-1, 2]``, a NaN, or
    a ``-0.0`` in a tile without a negative entry (numpy takes ``|x|`` of a tile only when it has
    one; the pass takes it everywhere).
    """
    if measure:
        measure_tile(H, X, kind, speed)
    _update(H, X, kind, rate)
    if noise is not None:  # numba prunes the branch for None
        fill_normals(noise[0], noise[1], a * X.shape[1], H)
    elif boundary == Boundary.NONE:
        return False
    return _noise_and_boundary(H, X, noise is not None, noise_scale, boundary)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def block_pass(L, R, C, X, bounds, start, stop, first, drive, step, share, H, out, scratch, speed):
    """Tiles ``start .. stop - 1`` of a row block whose first tile is `first` (tile t: rows
    ``bounds[t]:bounds[t + 1]``), phi compiled.

    Each tile: :func:`drive_tile` into `H`, :func:`update_tile` (its speed into the block's
    `speed`), then its share of the block's `out` (:func:`share_tile`) from ``Y = X`` or ``Y =
    phi(X * neg_scale - shift)`` (:func:`phi_tile`, into `H`). The three tuples
    carry the other arguments: `drive` = ``(u, u_scale, neg_scale, shift, unfolded)``, `step` =
    ``(kind, rate, noise, noise_scale, boundary, measure)``, `share` = ``(kind, neg_scale, shift)``
    (kind ``Phi.GIVEN``: ``Y = X``). Returns the first tile whose fold numpy must do (its share not
    computed), or -1.
    """
    u, u_scale, neg_scale, shift, unfolded = drive
    kind, rate, noise, noise_scale, boundary, measure = step
    share_kind, share_neg_scale, share_shift = share
    for t in range(start, stop):
        a, b = bounds[t], bounds[t + 1]
        tile_H = H[: b - a]
        drive_tile(L, C, a, u, u_scale, neg_scale, shift, unfolded, tile_H)
        if update_tile(tile_H, X[a:b], a, kind, rate, noise, noise_scale, boundary, speed, measure):
            return t
        if share_kind == Phi.GIVEN:
            share_tile(R, X[a:b], a, out, scratch, t == first)
        else:
            phi_tile(X[a:b], tile_H, share_kind, share_neg_scale, share_shift)
            share_tile(R, tile_H, a, out, scratch, t == first)
    return -1
