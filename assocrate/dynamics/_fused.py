"""The elementwise part of an Euler–Maruyama step in one compiled pass per row block (numba).

:func:`update_block` does, for every entry of a row block in C order, what a numpy step would do
in several passes with temporaries: ``phi``, the update ``x + (phi - x) dt/tau``, the noise
``+ sigma sqrt(dt) n`` and the boundary, in the same floating-point operations and order as the
numpy reference of ``tests/dynamics/test_fused.py`` (bit for bit):

- for the activations in :data:`FUSED_CORES`, the pass finishes phi: the logistic
  ``1 / (1 + e)`` of ``e = exp(-z)``, which numpy has computed beforehand with its vectorised
  ``exp`` (:func:`sigmoid_exponent`; numpy's SIMD ``exp`` is 6x faster than libm's scalar one,
  which scipy's ``expit`` calls per entry). This differs from ``expit`` in the last bits (a few
  units in the last place; an overflow of ``exp`` gives ``1 / inf = 0``), so trajectories differ
  in the last bits from the releases that used ``expit``. Numpy's own ``tanh`` is a SIMD
  approximation that libm does not reproduce, so
  :class:`~assocrate.core.activations.RectifiedTanh` (like any other activation) gets its phi
  from numpy first and this pass does the rest;
- float64 noise is drawn here, one ``Generator.standard_normal()`` per entry in C order: numba
  draws the ziggurat stream numpy's ``standard_normal(out=...)`` fills the block with (2.6x faster
  than that fill). float32 noise (a numpy Box–Muller fill, whose vectorised float32 log, sin and
  cos libm does not reproduce) is filled by numpy and read here;
- the reflecting boundary folds each entry in ``[-1, 2]`` on the spot (``min(|x|, 2 - |x|)``);
  a block with an entry beyond, a NaN or a ``-0.0`` that numpy would keep takes the numpy fold
  on the whole block (the block-level rule of ``sde._reflect``), from the unfolded values the
  pass leaves in `H`.

Compiled with ``cache=True`` (the machine code is kept next to this file, or in numba's user
cache when that is not writable) and ``nogil=True``, so row blocks run in parallel in threads,
and numba's numpy error model: no ZeroDivisionError check, which would keep LLVM from vectorising a
division (the one division, ``1 / (1 + e)``, has ``1 + e >= 1``).
numba is imported with this module, which the Euler–Maruyama kernel imports on first use:
``import assocrate`` does not load it.
"""

from __future__ import annotations

import enum
import math

import numba
import numpy as np

from ..core.activations import Sigmoid

__all__ = ["FUSED_CORES", "Boundary", "Noise", "Phi", "phi_block", "sigmoid_exponent", "update_block"]


class Phi(enum.IntEnum):
    """What the pass does with phi."""

    #: nothing: `H` already holds phi (applied by numpy), or the current form's ``W phi + u``
    GIVEN = 0
    #: the logistic ``1 / (1 + e)``, where `H` holds ``e = exp(-z)`` (:func:`sigmoid_exponent`),
    #: ``z = scale h + shift`` (:class:`~assocrate.core.activations.Sigmoid`)
    SIGMOID = 1


class Noise(enum.IntEnum):
    """Where the pass's noise comes from."""

    NONE = 0
    #: drawn in the pass from the block's generator, into `noise` (float64)
    DRAW = 1
    #: read from `noise`, filled by numpy beforehand (float32)
    READ = 2


class Boundary(enum.IntEnum):
    """The boundaries of ``sde.BOUNDARIES``."""

    NONE = 0
    CLIP = 1
    REFLECT = 2


#: The activations whose phi the pass evaluates itself (the others' phi is applied by numpy first).
FUSED_CORES = {Sigmoid: Phi.SIGMOID}


def sigmoid_exponent(Z: np.ndarray, out: np.ndarray, scale=None, shift=None) -> np.ndarray:
    """``out = exp(-(scale Z + shift))`` by numpy (its vectorised ``exp``), the sigmoid's input to the pass.

    Without `scale` and `shift`, `Z` already holds ``-z``. An overflow gives ``inf`` and an
    underflow 0 (silently, under any ``np.errstate``), whose logistics are 0 and 1.

    Examples
    --------
    >>> from scipy.special import expit
    >>> Z = np.array([[-1.0, 0.0, 2.5]])
    >>> R = sigmoid_exponent(Z, np.empty_like(Z), 4.0, -1.0)
    >>> phi_block(R, R, int(Phi.SIGMOID))
    >>> bool(np.allclose(R, expit(4.0 * Z - 1.0), rtol=1e-15, atol=0.0))
    True
    """
    if scale is not None:
        np.multiply(Z, -scale, out=out)
        out -= shift
        Z = out
    with np.errstate(over="ignore", under="ignore"):
        np.exp(Z, out=out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _phi(kind, e):
    """phi of one entry from what `H` holds (a float32 one keeps float32 arithmetic in float32)."""
    if kind == Phi.SIGMOID:
        one = np.float32(1.0)
        return one / (one + e)
    return e


@numba.njit(cache=True, nogil=True, error_model="numpy")
def phi_block(E, R, kind):
    """``R = phi(E)`` entrywise, where `E` holds what :data:`Phi` `kind` says (`R` may be `E`)."""
    for i in range(E.shape[0]):
        for j in range(E.shape[1]):
            R[i, j] = _phi(kind, E[i, j])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _update_only(H, X, kind, rate):
    """``X = X + (phi(H) - X) * rate``: :func:`update_block` without noise, boundary or measure.

    Without branches in the inner loop LLVM vectorises it, division included: numba's numpy error
    model (no ZeroDivisionError check; here ``1 + e >= 1``) lets ``1 / (1 + e)`` become ``vdivpd``
    (the scalar ``vdivsd`` loop took 1.2 ns per entry, this one 0.3-0.4; IEEE division is correctly
    rounded either way, so the numbers are the same bits).
    """
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            x = X[i, j]
            X[i, j] = x + (_phi(kind, H[i, j]) - x) * rate


@numba.njit(cache=True, nogil=True, error_model="numpy")
def update_block(H, X, kind, rate, noise_mode, generator, noise, noise_scale, boundary, speed, measure):
    """One step's elementwise work on a row block, in place on `X`; True if it needs the numpy fold.

    Per entry: ``d = phi(H) - X`` (phi of :data:`Phi` `kind`; ``||d||_inf`` per column into `speed`
    when `measure`),
    ``x = X + d * rate``, ``x = x + n * noise_scale``, then the boundary. With ``noise_mode ==
    Noise.DRAW``, ``n`` is drawn from `generator` into `noise` (`H` itself: its entry has been read, and
    the store types the draw as the block's dtype). With ``boundary == Boundary.REFLECT``, `H` is left
    holding the unfolded ``x`` and the result says whether the whole block must be folded from
    it by numpy: an entry outside ``[-1, 2]``, a NaN, or a ``-0.0`` in a block without a negative
    entry (numpy takes ``|x|`` of a block only when it has one; the pass takes it everywhere).
    """
    if noise_mode == Noise.NONE and boundary == Boundary.NONE and not measure:
        _update_only(H, X, kind, rate)  # the same operations, in a loop without branches
        return False
    far = negative = negative_zero = False
    zero, one, two = np.float32(0.0), np.float32(1.0), np.float32(2.0)
    if measure:
        speed[:] = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            x = X[i, j]
            d = _phi(kind, H[i, j]) - x
            if measure:
                size = abs(d)
                if size > speed[j] or size != size:  # a NaN sticks, as in numpy's max
                    speed[j] = size
            x = x + d * rate
            if noise_mode == Noise.DRAW:
                noise[i, j] = generator.standard_normal()
            if noise_mode != Noise.NONE:
                x = x + noise[i, j] * noise_scale
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
