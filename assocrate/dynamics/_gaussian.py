"""Standard normal fills for the Euler–Maruyama noise, one row block at a time.

float64 uses numpy's ziggurat (``Generator.standard_normal``). float32 uses the Box–Muller
transform ``z = sqrt(-2 ln u1) (cos 2 pi u2, sin 2 pi u2)`` on 32-bit uniforms from the same bit
generator: the transform is exact, and numpy's float32 log, sqrt, sin and cos are vectorised, so on
row blocks it ran about twice as fast as the float32 ziggurat (measured by the former step
benchmark of ``benchmarks/bench_dynamics.py``). Euler–Maruyama's compiled pass reads this fill: libm's
scalar float32 functions do not reproduce numpy's vectorised ones bit for bit. With ``u1 = (k + 1/2) 2^-32`` the largest
value is ``sqrt(66 ln 2) = 6.76``; a standard normal exceeds it with probability 1.4e-11.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidInput, InvalidType

__all__ = ["BOX_MULLER_MAX", "fill_standard_normal"]

_UNIT = np.float32(2.0**-32)
_HALF_UNIT = np.float32(2.0**-33)
_ANGLE_UNIT = np.float32(2.0 * math.pi * 2.0**-32)
# Bit generators whose raw words carry 64 random bits (MT19937's carry 32).
_SIXTY_FOUR_BIT = (np.random.SFC64, np.random.PCG64, np.random.PCG64DXSM, np.random.Philox)

#: The largest ``|z|`` the float32 Box–Muller fill can return: the float32 radius at the
#: smallest uniform, ``sqrt(-2 ln 2^-33)`` = 6.7637 (``|cos|, |sin| <= 1``).
BOX_MULLER_MAX = float(np.sqrt(np.float32(-2.0) * np.log(_HALF_UNIT)))


def fill_standard_normal(generator: np.random.Generator, out: np.ndarray) -> None:
    """Overwrite the C-contiguous float32 or float64 array `out` with independent N(0, 1) draws.

    Parameters
    ----------
    generator : numpy.random.Generator
        Source of the bits; the same generator state gives the same values.
    out : numpy.ndarray
        C-contiguous, float32 or float64.

    Examples
    --------
    >>> z = np.empty(100_000, dtype=np.float32)
    >>> fill_standard_normal(np.random.default_rng(0), z)
    >>> bool(abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01)
    True
    """
    if not out.flags.c_contiguous:
        raise InvalidInput("`out` must be C-contiguous")
    if out.dtype == np.float64:
        generator.standard_normal(out=out)
    elif out.dtype == np.float32:
        _box_muller(generator, out.reshape(-1))
    else:
        raise InvalidType(f"`out` must be float32 or float64; got dtype {out.dtype}")


def _box_muller(generator: np.random.Generator, flat: np.ndarray) -> None:
    """Box–Muller in float32: two 32-bit words (one raw 64-bit word where the bit generator has one) per pair."""
    n = flat.size
    pairs = (n + 1) // 2
    if isinstance(generator.bit_generator, _SIXTY_FOUR_BIT):
        words = generator.bit_generator.random_raw(pairs).view(np.uint32).reshape(pairs, 2)
    else:
        words = generator.integers(0, 2**32, size=(pairs, 2), dtype=np.uint32)
    radius = words[:, 0].astype(np.float32)
    radius *= _UNIT
    radius += _HALF_UNIT  # u1 in (0, 1]: float32 rounding can reach 1, never 0
    np.log(radius, out=radius)
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    angle = words[:, 1].astype(np.float32)
    angle *= _ANGLE_UNIT
    first, second = flat[:pairs], flat[pairs:]
    np.cos(angle, out=first)
    first *= radius
    np.sin(angle[: n - pairs], out=second)
    second *= radius[: n - pairs]
