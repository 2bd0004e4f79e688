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

**The sigmoid** is ``1 / (1 + e)``, ``e = exp(-z)`` from :func:`exp_clamped`, an exp that LLVM
vectorises inside the pass (numba's ``math.exp`` calls libm per entry: 4.3 ns against 0.74 ns
here; numpy's SIMD exp, 0.8 ns, cannot be called from compiled code): ``x = k ln 2 + r`` with
``ln 2`` in two parts, a polynomial of degree 11 on ``|r| <= ln(2)/2`` (the Chebyshev interpolant
from mpmath's ``chebyfit``, 12 nodes, error 3.2e-18; the Taylor polynomial needs degree 13) by
Horner's rule in fused multiply-adds (llvm.fma: the same rounding on every machine), and ``2^k``
from its bits. Within 1 ulp of exp on ``[-708, 709.78]`` (0.94 measured against long double);
clamped to ``[-708, 710]`` (``inf`` above 709.78, ``exp(-708)`` below, where the logistic is 1
either way). float32 states take it in float64, rounded once; the rest of their arithmetic stays
float32. The logistic is within 4 ulp of scipy's ``expit``.

**The noise** (:func:`fill_normals`) is written into `H` once the update has read it. Its bits are
SplitMix64 (Steele, Lea and Flood, 2014): word ``j`` of the stream with key ``k`` is ``mix(k + (j +
1) g)`` mod 2^64, ``g = 0x9E3779B97F4A7C15``, computed from its position alone, so a vectorised
loop draws eight at a time and an entry's noise does not depend on blocks, tiles or threads.
Entry ``f`` (C order) of step ``s``'s (N, B) noise is the first (``f`` even) or second member of
the pair at stream position ``s S + 2 floor(f / 2)``, ``S`` = N B rounded up to even
(``tiles.words_per_step``). A pair of words ``(w1, w2)`` gives ``sqrt(-2 ln u) (cos t, sin t)``
(Box–Muller):

- ``u = (k + 1/2) 2^-52``, ``k`` the top 52 bits of ``w1``: exact, in ``(0, 1)``, so ``|n| <=``
  :data:`LARGEST` = ``sqrt(106 ln 2)`` = 8.57 (a standard normal exceeds it with probability 1e-17);
- ``t = q pi/2 + phi``: the quadrant ``q`` from the top 2 bits of ``w2``, ``phi`` at the midpoints of
  ``2^53`` equal cells of ``(-pi/4, pi/4)`` from the next 53: ``t`` is uniform on the circle;
- ``ln u = e ln 2 + 2 atanh(s)`` (``u = 2^e m``, ``m`` in ``[sqrt(1/2), sqrt(2))``, ``s = (m - 1) /
  (m + 1)``); ``atanh(s) / s``, ``sin(phi) / phi`` and ``cos(phi)`` are polynomials in ``s^2`` and
  ``phi^2``: Chebyshev interpolants (mpmath's ``chebyfit``, 8, 7 and 8 nodes; interpolation error
  below 1.2e-18, 3.2e-18 and 3.1e-20) by Horner's rule in fused multiply-adds. The radius, cosine
  and sine are within 2 ulp of the exact values for the same ``u`` and ``t``.

No branches, so the pair loop vectorises: 1.2 ns a normal here, bits included (numba's ziggurat,
an indirect call to the bit generator per draw, took about 4 ns; numpy's ``standard_normal`` 9).

**The boundary.** Reflection folds each entry in ``[-1, 2]`` on the spot (``min(|x|, 2 - |x|)``); a
tile with an entry beyond, a NaN or a ``-0.0`` that numpy would keep takes the numpy fold on the
whole tile (the tile-level rule of ``tiles.reflect``), from the unfolded values the pass leaves in `H`.

**Compilation.** ``cache=True`` (machine code kept next to this file, or in numba's user cache),
``nogil=True`` (row blocks run in threads) and numba's numpy error model (no ZeroDivisionError
check, which would keep LLVM from vectorising ``1 / (1 + e)``, ``1 + e >= 1``). Every compiled
function of the step is in this one file: numba keys a cached function by its own source file, not
its callees', so a callee in another file could change while its caller's cache kept the old code.
numba loads with this module, which the Euler–Maruyama kernel imports on first use: ``import
assocrate`` does not load it.
"""

from __future__ import annotations

import enum
import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ..core.activations import Sigmoid

__all__ = [
    "FUSED_CORES", "LARGEST", "Boundary", "Phi", "block_pass", "box_muller", "drive_tile", "exp_clamped", "exp_entries",
    "fill_normals", "measure_tile", "phi_tile", "share_tile", "splitmix64", "touch_rows", "update_tile",
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

_LOG2E = 1.4426950408889634
# ln 2 in two parts (fdlibm's): the first has 32 significant bits, so k * _LN2_HI is exact for |k| < 2^20
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# exp(r) on |r| <= ln(2)/2, ascending (mpmath.chebyfit, 12 nodes, rounded to float64)
_EXP = (1.0, 1.0, 0.5000000000000019, 0.1666666666666668, 0.0416666666664881, 0.008333333333319601,
        0.0013888888952314775, 0.00019841269890047113, 2.4801485482328494e-05, 2.755724091857897e-06,
        2.763263963904103e-07, 2.5110037605963777e-08)


@intrinsic
def _double_from_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 `bits` (a bit cast, which LLVM vectorises)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits_from_double(typingctx, value):
    """The int64 holding the IEEE bits of the float64 `value` (a bit cast, which LLVM vectorises)."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """``a b + c`` rounded once (llvm.fma: the FMA instruction, or libm's fma where there is none)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


def _like(value, template):
    """`value` rounded to the floating type of `template` (compiled only)."""


@overload(_like, inline="always")
def _like_overload(value, template):
    if template == types.float32:
        return lambda value, template: np.float32(value)
    return lambda value, template: np.float64(value)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _horner(coefficients, x):
    """The polynomial with the ascending `coefficients` (a tuple) at `x`, by Horner's rule in FMAs."""
    p = coefficients[-1]
    for k in range(len(coefficients) - 2, -1, -1):  # a fixed trip count: LLVM unrolls it
        p = _fma(p, x, coefficients[k])
    return p


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def exp_clamped(x):
    """``exp(x)`` in float64 for ``x`` in ``[-708, 709.78]`` (within 1 ulp), ``inf`` above, ``exp(-708)`` below.

    NaN gives NaN. Written without branches so that a loop calling it vectorises.
    """
    x = min(max(np.float64(x), -708.0), 710.0)
    k = np.rint(x * _LOG2E)
    r = _fma(-k, _LN2_LO, _fma(-k, _LN2_HI, x))
    p = _horner(_EXP, r)
    # 2^k as two powers of two, so that k = 1024 (x up to 710) does not overflow the exponent field
    n = np.int64(k)
    half = n >> 1
    return p * _double_from_bits((half + 1023) << 52) * _double_from_bits((n - half + 1023) << 52)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def exp_entries(A, out):
    """``out = exp_clamped(A)`` entrywise (`out` may be `A`; float32 rounded once), for tests and references."""
    a, o = A.reshape(-1), out.reshape(-1)
    for i in range(a.size):
        o[i] = _like(exp_clamped(a[i]), o[i])


_LN2 = math.log(2.0)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)

_UNIT = 2.0**-52
# phi = (k - 2^52 + 1/2) (pi/2) 2^-53 for the 53-bit k
_QUARTER_CELL = math.pi / 2 * 2.0**-53
_QUARTER_CELL_LOW = 6.798155367234455e-33  # (pi/2) 2^-53 - _QUARTER_CELL (mpmath)
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
def _radius(w):
    """``sqrt(-2 ln u)``, ``u = (k + 1/2) 2^-52`` for the top 52 bits ``k`` of the uint64 `w`."""
    u = _fma(np.float64(np.int64(w >> np.uint64(12))), _UNIT, 0.5 * _UNIT)
    bits = _bits_from_double(u)
    exponent = (bits >> 52) - 1023
    m = _double_from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)  # u = 2^exponent m, m in [1, 2)
    high = m > 1.4142135623730951
    m = m * 0.5 if high else m
    exponent = exponent + 1 if high else exponent
    s = (m - 1.0) / (m + 1.0)
    log_u = _fma(np.float64(exponent), _LN2, 2.0 * s * _horner(_ATANH, s * s))
    return math.sqrt(-2.0 * log_u)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _turn(w):
    """``(cos t, sin t)``, ``t = q pi/2 + phi`` from the uint64 `w` (quadrant q: its top 2 bits)."""
    q = np.int64(w >> np.uint64(62))
    k = np.int64((w << np.uint64(2)) >> np.uint64(11)) - (1 << 52)
    cell = np.float64(k) + 0.5  # exact: |k| <= 2^52
    phi = _fma(cell, _QUARTER_CELL, cell * _QUARTER_CELL_LOW)  # (pi/2) 2^-53 in two parts: phi within 0.5 ulp
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

    `key` and `base` are taken as uint64 (`base` even: a step's ``s S``), `first` the flat index of
    ``out[0, 0]`` in the step's (N, B) noise; float32 `out` takes the float64 draws rounded once.
    """
    key, base = np.uint64(key), np.uint64(base)  # an int64 would turn the stream's arithmetic to float64
    flat = out.reshape(-1)
    n = flat.size
    head = first & 1 if n > 0 else 0  # out[0, 0] is the sine of a pair that starts before it
    if head:
        flat[0] = _like(_pair(key, base + np.uint64(first - 1))[1], flat[0])
    pairs = (n - head) // 2
    for q in range(pairs):
        f = head + 2 * q
        z1, z2 = _pair(key, base + np.uint64(first + f))
        flat[f] = _like(z1, flat[f])
        flat[f + 1] = _like(z2, flat[f + 1])
    if head + 2 * pairs < n:  # the last entry is the cosine of a pair that ends after it
        flat[n - 1] = _like(_pair(key, base + np.uint64(first + n - 1))[0], flat[n - 1])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def splitmix64(key, start, out):
    """Words ``start, start + 1, ...`` of the stream with `key` into the uint64 `out`."""
    key, start = np.uint64(key), np.uint64(start)
    for j in range(out.size):
        out[j] = _word(key, start + np.uint64(j))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def box_muller(w1, w2, radius, cos, sin):
    """The transform's parts for word arrays `w1`, `w2`: ``radius`` from `w1`, ``(cos t, sin t)`` from `w2`."""
    for i in range(w1.size):
        radius[i] = _radius(w1[i])
        cos[i], sin[i] = _turn(w2[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _phi(kind, h):
    """phi of one entry from what `H` holds (a float32 one keeps float32 arithmetic in float32)."""
    if kind == Phi.SIGMOID:
        e = _like(exp_clamped(h), h)
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
    ``n`` (:func:`fill_normals`) are written into `H` once the update has read it. With
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
def touch_rows(A, a, b):
    """Load one entry per 64-byte cache line of rows ``a:b`` of the C-contiguous `A`; their sum.

    Run on the next tile's rows of the factor after a tile's product (and, in a call's set-up, on a
    tile's own rows before its product): the product that follows then reads them from cache. Measured at N = 10^5, P = 50, B = 32: the next tile's product
    took 43-52 us from memory against 33 in cache, the loads 7-9 us; a step took 1.5 ms less
    (9.2-9.4 ms against 10.8-11.4) and 1.9 ms less with noise (11.5-11.7 against 12.8-13.9).
    Hardware prefetching does not run that far ahead of OpenBLAS's kernel, and llvm.prefetch
    hints were dropped (a product after prefetching 3600 lines was as slow as without).
    """
    flat = A.reshape(-1)
    total = 0.0
    for k in range(a * A.shape[1], b * A.shape[1], 64 // A.itemsize):
        total += flat[k]
    return total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def block_pass(L, R, C, X, bounds, start, stop, first, drive, step, share, H, out, scratch, speed):
    """Tiles ``start .. stop - 1`` of a row block whose first tile is `first` (tile t: rows
    ``bounds[t]:bounds[t + 1]``), phi compiled.

    Each tile: :func:`drive_tile` into `H`, the next tile's rows of `L` into the cache
    (:func:`touch_rows`), :func:`update_tile` (its speed into the block's `speed`), then its share
    of the block's `out` (:func:`share_tile`) from ``Y = X`` or ``Y = phi(X * neg_scale - shift)``
    (:func:`phi_tile`, into `H`). The three tuples carry the other arguments: `drive` = ``(u, u_scale, neg_scale, shift, unfolded)``, `step` =
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
        if t + 1 < stop:  # scratch is overwritten before it is read: the store only keeps the loads
            scratch[0, 0] = touch_rows(L, b, bounds[t + 2])
        if update_tile(tile_H, X[a:b], a, kind, rate, noise, noise_scale, boundary, speed, measure):
            return t
        if share_kind == Phi.GIVEN:
            share_tile(R, X[a:b], a, out, scratch, t == first)
        else:
            phi_tile(X[a:b], tile_H, share_kind, share_neg_scale, share_shift)
            share_tile(R, tile_H, a, out, scratch, t == first)
    return -1
