"""Standard normals for the Euler–Maruyama noise, drawn in the compiled pass from a counter-based stream.

The bits are SplitMix64 (Steele, Lea and Flood, 2014): word ``j`` of the stream with key ``k`` is
``mix(k + (j + 1) g)`` modulo 2^64, ``g = 0x9E3779B97F4A7C15``, ``mix`` the xor-shift-multiply
finaliser below. Any word is computed from its position alone, so a vectorised loop draws them
eight at a time (two 64-bit multiplies each) and the noise of an entry does
not depend on how the rows are cut into blocks and tiles or which thread runs them.

A pair of words ``(w1, w2)`` gives two normals by the Box–Muller transform
``sqrt(-2 ln u) (cos t, sin t)``:

- ``u = (k + 1/2) 2^-52`` from the top 52 bits ``k`` of ``w1``: exact, in ``(0, 1)``, so the radius
  is at most ``sqrt(-2 ln 2^-53)`` = :data:`LARGEST` (8.57; a standard normal exceeds it with
  probability 1e-17);
- ``t = q pi/2 + phi``: the quadrant ``q`` from the top 2 bits of ``w2``, ``phi`` in ``(-pi/4, pi/4)``
  at the midpoints of ``2^53`` equal cells from the next 53, so ``t`` is uniform on the circle;
- ``ln u = e ln 2 + 2 atanh(s)``, ``u = 2^e m`` with ``m`` in ``[sqrt(1/2), sqrt(2))``, ``s = (m - 1) /
  (m + 1)``; ``atanh(s) / s``, ``sin(phi) / phi`` and ``cos(phi)`` are polynomials in ``s^2`` and
  ``phi^2`` (Chebyshev interpolants on the reduced ranges, degrees 7, 6 and 7, from mpmath's
  ``chebyfit``; interpolation error below 1.2e-18, 3.2e-18 and 3.1e-20), evaluated by Horner's rule
  in fused multiply-adds. The radius, cosine and sine are within 2 ulp of the exact values of the
  same ``u`` and ``t`` (measured against mpmath in ``tests/dynamics/test_normals.py``).

Written without branches so that LLVM vectorises the loop: 1.2 ns a normal here, words
included, where numba's ziggurat (an indirect call to the bit generator per draw) took about 4 ns
and numpy's ``standard_normal`` fill 9 ns. Entry ``f`` (in C order) of step ``s``'s (N, B) noise is the cosine
(``f`` even) or sine (``f`` odd) member of the pair at stream position ``s S + 2 floor(f / 2)``,
``S`` = N B rounded up to even (``tiles.words_per_step``): every step reads its own segment of one
stream.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._elementary import bits_from_double, double_from_bits, fma, like

__all__ = ["LARGEST", "box_muller", "fill_normals", "splitmix64"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)

_LN2 = math.log(2.0)
_UNIT = 2.0**-52
# phi = (k - 2^52 + 1/2) (pi/2) 2^-53 for the 53-bit k
_QUARTER_CELL = math.pi / 2 * 2.0**-53
# ascending coefficients: atanh(s)/s in s^2 on [0, ((sqrt 2 - 1)/(sqrt 2 + 1))^2], sin(phi)/phi and
# cos(phi) in phi^2 on [0, (pi/4)^2]; mpmath.chebyfit with 8, 7 and 8 nodes, rounded to float64
_ATANH = (1.0, 0.33333333333333826, 0.1999999999965117, 0.1428571438032084, 0.11111098528363024,
          0.09091815840114664, 0.07656264074182095, 0.07404855180327638)
_SIN = (1.0, -0.16666666666666616, 0.008333333333320363, -0.000198412698286503, 2.755731337640013e-06,
        -2.5050716974102745e-08, 1.5894736651849094e-10)
_COS = (1.0, -0.5, 0.04166666666666645, -0.0013888888888861095, 2.4801587283881152e-05,
        -2.7557313097790086e-07, 2.0875582380663952e-09, -1.1353379638297575e-11)

#: The largest ``|z|`` a draw can have: the radius at the smallest ``u = 2^-53``.
LARGEST = math.sqrt(106.0 * _LN2)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _word(key, position):
    """Word `position` (uint64) of the stream with `key`: SplitMix64's output ``position + 1``."""
    z = key + (position + np.uint64(1)) * _GAMMA
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _horner(coefficients, x):
    p = coefficients[-1]
    for k in range(len(coefficients) - 2, -1, -1):  # unrolled by numba (a tuple)
        p = fma(p, x, coefficients[k])
    return p


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _radius(w):
    """``sqrt(-2 ln u)``, ``u = (k + 1/2) 2^-52`` for the top 52 bits ``k`` of the uint64 `w`."""
    u = fma(np.float64(np.int64(w >> np.uint64(12))), _UNIT, 0.5 * _UNIT)
    bits = bits_from_double(u)
    exponent = (bits >> 52) - 1023
    m = double_from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # u = 2^exponent m, m in [1, 2)
    high = m > 1.4142135623730951
    m = m * 0.5 if high else m
    exponent = exponent + 1 if high else exponent
    s = (m - 1.0) / (m + 1.0)
    log_u = fma(np.float64(exponent), _LN2, 2.0 * s * _horner(_ATANH, s * s))
    return math.sqrt(-2.0 * log_u)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _turn(w):
    """``(cos t, sin t)``, ``t = q pi/2 + phi`` from the uint64 `w` (quadrant q: its top 2 bits)."""
    q = np.int64(w >> np.uint64(62))
    k = np.int64((w << np.uint64(2)) >> np.uint64(11)) - (1 << 52)
    phi = fma(np.float64(k), _QUARTER_CELL, 0.5 * _QUARTER_CELL)
    z = phi * phi
    sin, cos = phi * _horner(_SIN, z), _horner(_COS, z)
    odd = (q & 1) != 0  # a quarter turn: (cos, sin) -> (-sin, cos)
    first, second = (sin, cos) if odd else (cos, sin)
    first = -first if (q == 1) | (q == 2) else first
    second = -second if q >= 2 else second
    return first, second


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _pair(key, position):
    """The two normals from the words at `position` and ``position + 1`` (uint64)."""
    radius = _radius(_word(key, position))
    first, second = _turn(_word(key, position + np.uint64(1)))
    return radius * first, radius * second


@numba.njit(cache=True, nogil=True, error_model="numpy")
def fill_normals(key, base, first, out):
    """Entries ``first, first + 1, ...`` (flat, C order) of the noise at stream position `base`, into `out`.

    `key` and `base` are uint64 (`base` even: a step's ``s S``), `first` the flat index of
    ``out[0, 0]`` in the step's (N, B) noise; float32 `out` takes the float64 draws rounded once.
    """
    flat = out.reshape(-1)
    n = flat.size
    head = first & 1 if n > 0 else 0  # out[0, 0] is the sine of a pair that starts before it
    if head:
        flat[0] = like(_pair(key, base + np.uint64(first - 1))[1], flat[0])
    pairs = (n - head) // 2
    for q in range(pairs):
        f = head + 2 * q
        z1, z2 = _pair(key, base + np.uint64(first + f))
        flat[f] = like(z1, flat[f])
        flat[f + 1] = like(z2, flat[f + 1])
    if head + 2 * pairs < n:  # the last entry is the cosine of a pair that ends after it
        flat[n - 1] = like(_pair(key, base + np.uint64(first + n - 1))[0], flat[n - 1])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def splitmix64(key, start, out):
    """Words ``start, start + 1, ...`` of the stream with `key` (uint64) into the uint64 `out`."""
    for j in range(out.size):
        out[j] = _word(key, start + np.uint64(j))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def box_muller(w1, w2, radius, cos, sin):
    """The transform's parts for word arrays `w1`, `w2`: ``radius`` from `w1`, ``(cos t, sin t)`` from `w2`."""
    for i in range(w1.size):
        radius[i] = _radius(w1[i])
        cos[i], sin[i] = _turn(w2[i])
