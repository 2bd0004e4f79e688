"""Constraint blocks and their checks: floating-point definiteness, exact LMI blocks, rounding.

Every certificate is a list of constraints ``G > 0``. This module holds the two checks of a
block (theory.md §5 "Verification"): ``verified_float`` by a shifted Cholesky factorisation and
``verified_exact`` by :func:`~assocrate.certify.exact.is_positive_definite_exact` on exact
rationals, the residual table they produce, and the rounding of a solver's floating-point
answer to dyadic rationals that the exact check then reads.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np
import scipy.linalg

from ..certify._rational import to_fmpq
from ..certify.exact import is_positive_definite_exact
from ..certify.record import ConstraintResidual
from ..errors import InvalidInput, InvalidType

__all__ = [
    "ROUNDING_BITS",
    "Block",
    "verify_blocks",
    "fmpq_bmat",
    "fmpq_diag",
    "fmpq_row",
    "fmpq_to_float",
    "is_definite_float",
    "min_eigenvalue",
    "round_symmetric",
    "round_vector",
]

#: Significant bits kept when a solver's matrices are rounded to dyadic rationals.
ROUNDING_BITS = 30


# ----------------------------------------------------------------------------------------------
# Floating-point definiteness
# ----------------------------------------------------------------------------------------------

def _check_float_square(name: str, M: object) -> np.ndarray:
    """Return `M` as a finite, non-empty, square float64 array or raise naming `name`."""
    try:
        array = np.asarray(M)
    except (TypeError, ValueError) as err:
        raise InvalidType(f"`{name}` must be a real square matrix; got {M!r} ({err})") from err
    if array.dtype.kind not in "iuf":
        raise InvalidType(f"`{name}` must be a real numeric matrix; got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise InvalidInput(f"`{name}` must be square; got shape {array.shape}")
    if array.size == 0:
        raise InvalidInput(f"`{name}` must be non-empty; got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite; found NaN or inf")
    return array


def min_eigenvalue(M: object) -> float:
    """Smallest eigenvalue of the symmetric part ``(M + M^T) / 2``, in floating point.

    Parameters
    ----------
    M : array_like, shape (n, n)
        A finite real square matrix.

    Returns
    -------
    float
        ``lambda_min((M + M^T) / 2)``. Accurate to about ``n * eps * ||M||``: use
        :func:`assocrate.certify.exact.is_positive_definite_exact` to decide signs near zero.

    Raises
    ------
    TypeError
        If `M` is not numeric.
    ValueError
        If `M` is not square, is empty or holds NaN / inf.

    Examples
    --------
    >>> min_eigenvalue([[2.0, 0.0], [0.0, 3.0]])
    2.0
    >>> round(min_eigenvalue([[2.0, 1.0], [1.0, 2.0]]), 12)
    1.0
    """
    array = _check_float_square("M", M)
    symmetric = (array + array.T) / 2
    return float(scipy.linalg.eigvalsh(symmetric, subset_by_index=[0, 0], check_finite=False)[0])


def is_definite_float(M: object, *, sign: int = -1, margin: float = 0.0) -> bool:
    """Floating-point definiteness by shifted Cholesky: is ``sign * M - margin * I > 0``?

    Parameters
    ----------
    M : array_like, shape (n, n)
        A finite real square matrix; only its symmetric part ``(M + M^T) / 2`` is used.
    sign : {-1, 1}, optional
        ``-1`` (default) asks whether M is negative definite with margin (``M < -margin I``, the
        form of an LMI ``... < 0``); ``1`` asks whether ``M > margin I``.
    margin : float, optional
        Required distance of the spectrum from zero, ``>= 0``. Default 0.

    Returns
    -------
    bool
        True iff the Cholesky factorisation of ``sign * (M + M^T) / 2 - margin * I`` succeeds.
        This is a floating-point verdict (``verified_float``), not a proof: near the boundary use
        the exact check.

    Raises
    ------
    TypeError
        If `M` is not numeric.
    ValueError
        If `M` is not square, is empty or holds NaN / inf, if `sign` is not -1 or 1, or if
        `margin` is negative or not finite.

    Examples
    --------
    >>> is_definite_float([[-2.0, 0.5], [0.5, -1.0]])
    True
    >>> is_definite_float([[2.0, 0.0], [0.0, 1.0]], sign=1, margin=1.5)
    False
    """
    if isinstance(sign, bool) or sign not in (-1, 1):
        raise InvalidInput(f"`sign` must be -1 or 1; got {sign!r}")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise InvalidType(f"`margin` must be a real number; got {margin!r}")
    if not (math.isfinite(margin) and margin >= 0):
        raise InvalidInput(f"`margin` must be finite and >= 0; got {margin!r}")
    array = _check_float_square("M", M)
    shifted = sign * (array + array.T) / 2 - float(margin) * np.eye(array.shape[0])
    try:
        scipy.linalg.cholesky(shifted, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Exact blocks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One constraint ``G > 0`` of a certificate, in exact rationals.

    Attributes
    ----------
    name : str
        Row of the residual table; several blocks may share a name (their minimum is reported).
    G : flint.fmpq_mat
        Exactly symmetric.
    metric : tuple of int, optional
        Positive diagonal weights ``m``: the reported eigenvalues are those of
        ``m^{-1/2} G m^{-1/2}`` (G is written in a non-orthonormal basis such as S).
    """

    name: str
    G: flint.fmpq_mat
    metric: tuple[int, ...] | None = None

    def summary(self) -> str:
        """The constraint and the block's size."""
        return f"{self.name} ({self.G.nrows()} x {self.G.ncols()}{', weighted' if self.metric else ''})"


def fmpq_diag(values: Sequence) -> flint.fmpq_mat:
    """A diagonal rational matrix."""
    k = len(values)
    entries = [flint.fmpq(0)] * (k * k)
    for i, value in enumerate(values):
        entries[i * k + i] = to_fmpq(value)
    return flint.fmpq_mat(k, k, entries)


def fmpq_bmat(blocks: Sequence[Sequence[flint.fmpq_mat]]) -> flint.fmpq_mat:
    """Assemble a block matrix from equally sized square blocks."""
    size = blocks[0][0].nrows()
    n_blocks = len(blocks)
    dense = [[None] * (size * n_blocks) for _ in range(size * n_blocks)]
    for bi, row in enumerate(blocks):
        for bj, block in enumerate(row):
            entries = block.entries()
            for i in range(size):
                dense[bi * size + i][bj * size : (bj + 1) * size] = entries[i * size : (i + 1) * size]
    n = size * n_blocks
    return flint.fmpq_mat(n, n, [x for line in dense for x in line])


def fmpq_to_float(M: flint.fmpq_mat) -> np.ndarray:
    """Nearest double of every entry (Python's correctly rounded int / int)."""
    numerators, denominator = M.numer_denom()
    d = int(denominator)
    return np.array([int(x) / d for x in numerators.entries()], dtype=float).reshape(M.nrows(), M.ncols())


def _float_min_eigenvalue(G: np.ndarray, metric: tuple[int, ...] | None) -> tuple[float, bool]:
    if metric is not None:
        scale = 1.0 / np.sqrt(np.asarray(metric, dtype=float))
        G = scale[:, None] * G * scale[None, :]
    G = 0.5 * (G + G.T)
    value = float(scipy.linalg.eigvalsh(G, subset_by_index=[0, 0])[0])
    return value, is_definite_float(G, sign=1)


def verify_blocks(blocks: Sequence[Block], *, exact: bool = True) -> tuple[tuple[ConstraintResidual, ...], bool, bool]:
    """Float residuals, the float verdict and the exact verdict of a list of blocks.

    The exact verdict is True only if every block is positive definite in exact arithmetic.
    """
    rows: dict[str, float] = {}
    verified_float = True
    verified_exact = exact
    for block in blocks:
        value, ok = _float_min_eigenvalue(fmpq_to_float(block.G), block.metric)
        rows[block.name] = min(value, rows.get(block.name, math.inf))
        verified_float &= ok
    if exact:
        for block in blocks:
            if not is_positive_definite_exact(block.G):
                verified_exact = False
                break
    residuals = tuple(ConstraintResidual(name, value) for name, value in rows.items())
    return residuals, verified_float, verified_exact


def fmpq_row(values: Sequence) -> flint.fmpq_mat:
    """The 1 x n exact matrix of `values` (floats are read exactly)."""
    return flint.fmpq_mat(1, len(values), [to_fmpq(v) for v in values])


# ---------------------------------------------------------------------------------------------
# Rounding the solver's answer
# ---------------------------------------------------------------------------------------------


def _round_scaled(values: np.ndarray, scale: np.ndarray, bits: int = ROUNDING_BITS) -> tuple[np.ndarray, list[Fraction]]:
    """Round each entry to a multiple of ``2**(e - bits)``, ``2**e`` the power of two above its `scale`.

    Returns the rounded floats (exactly representable) and the same numbers as Fractions,
    row-major. Entries with equal scale and value stay equal (symmetry is kept).
    """
    values = np.asarray(values, dtype=float)
    scale = np.broadcast_to(np.abs(np.asarray(scale, dtype=float)), values.shape)
    exponents = np.frexp(np.where(scale > 0, scale, 1.0))[1] - int(bits)
    integers = np.rint(np.ldexp(values, -exponents))
    rounded = np.ldexp(integers, exponents)
    fractions = [
        Fraction(int(m) * 2**int(e)) if e >= 0 else Fraction(int(m), 2 ** int(-e))
        for m, e in zip(integers.ravel(), exponents.ravel())
    ]
    return rounded, fractions


def round_symmetric(M: np.ndarray, bits: int = ROUNDING_BITS) -> tuple[np.ndarray, flint.fmpq_mat]:
    """Symmetrise ``(M + M^T)/2`` and round entry (i, j) relative to ``sqrt(|M_ii M_jj|)``."""
    M = np.asarray(M, dtype=float)
    M = 0.5 * (M + M.T)
    diagonal = np.abs(np.diag(M))
    floor = max(float(diagonal.max(initial=0.0)), float(np.max(np.abs(M), initial=0.0)), 1e-300) * 1e-12
    scale = np.sqrt(np.outer(np.maximum(diagonal, floor), np.maximum(diagonal, floor)))
    rounded, fractions = _round_scaled(M, scale, bits)
    k = M.shape[0]
    return rounded, flint.fmpq_mat(k, k, [to_fmpq(f) for f in fractions])


def round_vector(v: np.ndarray, bits: int = ROUNDING_BITS) -> tuple[np.ndarray, list[Fraction]]:
    """Round each entry of a vector to `bits` significant bits (zero stays zero)."""
    v = np.asarray(v, dtype=float).ravel()
    return _round_scaled(v, np.where(v != 0, v, 1.0), bits)
