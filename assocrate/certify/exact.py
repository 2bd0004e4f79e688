"""Exact rational positive-definiteness checks (theory.md §5, "Verification").

A certificate is only called *certified* when its matrix inequalities hold in exact arithmetic.
This module converts floating-point matrices to exact rationals (:func:`to_rational`) and decides
definiteness of a symmetric rational matrix without rounding error
(:func:`is_positive_definite_exact`, :func:`is_negative_definite_exact`), with python-flint
integers doing the work.

Every float is a dyadic rational, so a float matrix is an exact rational matrix; rounding it to a
short common denominator (``grid``) first keeps the integers small and the exact check fast.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from fractions import Fraction
from typing import Literal

import flint
import numpy as np

from .._validation import check_choice
from ..certify._definite import integer_matrix, is_positive_definite_integer
from ..certify._rational import to_fraction
from ..errors import InvalidInput, InvalidType

__all__ = [
    "is_negative_definite_exact",
    "is_positive_definite_exact",
    "round_dyadic",
    "to_rational",
]

Method = Literal["auto", "charpoly", "sylvester"]
_METHODS = ("auto", "charpoly", "sylvester")

# Size limit of the sympy cross-check: sympy rational arithmetic is slow beyond this.
_SYMPY_MAX_SIZE = 30


# ----------------------------------------------------------------------------------------------
# Conversion to exact rationals
# ----------------------------------------------------------------------------------------------


def _check_grid(grid: object) -> int | None:
    """Validate the `grid` option: None or an integer denominator >= 1."""
    if grid is None:
        return None
    if isinstance(grid, bool) or not isinstance(grid, numbers.Integral):
        raise InvalidType(
            "`grid` must be None or a positive integer denominator such as 2**30 "
            f"(entries are rounded to multiples of 1/grid); got {grid!r} of type "
            f"{type(grid).__name__}"
        )
    if grid < 1:
        raise InvalidInput(
            f"`grid` must be a positive integer denominator such as 2**30; got {grid!r}"
        )
    return int(grid)


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _round_to_grid(value: Fraction, grid: int) -> Fraction:
    """Nearest multiple of ``1/grid`` (ties to even), exactly."""
    return Fraction(round(value * grid), grid)


def _fractions_to_fmpq_mat(rows: int, cols: int, entries: Iterable[Fraction]) -> flint.fmpq_mat:
    return flint.fmpq_mat(rows, cols, [flint.fmpq(f.numerator, f.denominator) for f in entries])


def _float_array_to_fmpq_mat(array: np.ndarray, grid: int | None) -> flint.fmpq_mat:
    """Exact conversion of a finite float array of shape (rows, cols)."""
    rows, cols = array.shape
    if grid is not None and _is_power_of_two(grid) and array.dtype.itemsize <= 8:
        # Scaling by a power of two is exact (barring overflow, checked), and rint rounds half to
        # even exactly, so this vectorised path equals the Fraction path below.
        with np.errstate(over="ignore"):
            scaled = np.rint(array.astype(np.float64, copy=False) * float(grid))
        if np.all(np.abs(scaled) < 2.0**62):
            numerators = flint.fmpz_mat(scaled.astype(np.int64).tolist())
        elif np.all(np.isfinite(scaled)):
            numerators = flint.fmpz_mat([[int(x) for x in row] for row in scaled.tolist()])
        else:  # the product overflowed: fall back to exact Fraction arithmetic
            numerators = None
        if numerators is not None:
            return flint.fmpq_mat(numerators) / grid
    if grid is None:
        # Each distinct float is converted once (a factor of a design holds a handful of values).
        values, inverse = np.unique(array, return_inverse=True)
        table = [flint.fmpq(*float(x).as_integer_ratio()) for x in values.tolist()]
        return flint.fmpq_mat(rows, cols, [table[i] for i in inverse.ravel().tolist()])
    flat = array.ravel().tolist() if array.dtype == np.float64 else list(array.ravel())
    fractions = (_round_to_grid(Fraction(*float_value.as_integer_ratio()), grid) for float_value in flat)
    return _fractions_to_fmpq_mat(rows, cols, fractions)


def _as_fmpq_mat(name: str, M: object, *, grid: int | None = None) -> flint.fmpq_mat:
    """Validate `M` (2-D, non-empty, finite, real) and convert it exactly to an fmpq_mat."""
    if isinstance(M, flint.fmpq_mat):
        rows, cols = M.nrows(), M.ncols()
        if rows == 0 or cols == 0:
            raise InvalidInput(f"`{name}` must be non-empty; got shape ({rows}, {cols})")
        if grid is None:
            return flint.fmpq_mat(M)  # a copy: callers may not mutate the input
        entries = (Fraction(int(q.p), int(q.q)) for q in M.entries())
        return _fractions_to_fmpq_mat(rows, cols, (_round_to_grid(f, grid) for f in entries))
    if isinstance(M, flint.fmpz_mat):
        rows, cols = M.nrows(), M.ncols()
        if rows == 0 or cols == 0:
            raise InvalidInput(f"`{name}` must be non-empty; got shape ({rows}, {cols})")
        return flint.fmpq_mat(M)  # integers are already on every grid
    if isinstance(M, (str, bytes)):
        raise InvalidType(f"`{name}` must be a 2-D array of real numbers; got {type(M).__name__}")
    try:
        array = np.asarray(M, dtype=object if _holds_exact_entries(M) else None)
    except (TypeError, ValueError) as err:
        raise InvalidType(f"`{name}` must be a 2-D array of real numbers; got {M!r} ({err})") from err
    if array.ndim != 2:
        raise InvalidInput(
            f"`{name}` must be a 2-D matrix of shape (rows, cols); got shape {array.shape}"
        )
    rows, cols = array.shape
    if rows == 0 or cols == 0:
        raise InvalidInput(f"`{name}` must be non-empty; got shape {array.shape}")
    kind = array.dtype.kind
    if kind == "b":
        raise InvalidType(f"`{name}` must hold real numbers; got a boolean array")
    if kind in "iu":
        return flint.fmpq_mat(flint.fmpz_mat([[int(x) for x in row] for row in array.tolist()]))
    if kind == "f":
        bad = ~np.isfinite(array)
        if np.any(bad):
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            value = float(array[index])
            raise InvalidInput(f"`{name}` must be finite; got {value!r} at index {index}")
        return _float_array_to_fmpq_mat(array, grid)
    if kind == "O":
        fractions = [
            to_fraction(array[i, j], name, f" at index {(i, j)}") for i in range(rows) for j in range(cols)
        ]
        if grid is not None:
            fractions = [_round_to_grid(f, grid) for f in fractions]
        return _fractions_to_fmpq_mat(rows, cols, fractions)
    raise InvalidType(
        f"`{name}` must hold real numbers (int, float, Fraction, fmpq); got dtype {array.dtype}"
    )


def _holds_exact_entries(M: object) -> bool:
    """True when a nested sequence holds Python ints/Fractions/fmpq (kept exact, not floated)."""
    if isinstance(M, np.ndarray):
        return False
    stack = [M]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "__array__") and not isinstance(item, numbers.Number):
            return True  # e.g. a sympy Matrix: convert entry by entry
        elif isinstance(item, (flint.fmpq, flint.fmpz)) or (
            isinstance(item, numbers.Rational) and not isinstance(item, (np.integer, bool))
        ):
            return True
    return False


def to_rational(M: object, *, grid: int | None = None, name: str = "M") -> flint.fmpq_mat:
    """Convert a real matrix to an exact rational matrix.

    Parameters
    ----------
    M : array_like, shape (rows, cols)
        A float or integer numpy array, a nested list of ints / floats / :class:`fractions.Fraction`
        / sympy Rationals, a sympy Matrix, or a python-flint ``fmpq_mat`` / ``fmpz_mat``.
        Entries must be finite.
    grid : int, optional
        ``None`` (default) converts every entry exactly: a float is a dyadic rational
        ``m / 2**k`` and is kept as such. A positive integer rounds each entry to the nearest
        multiple of ``1/grid`` (ties to even), i.e. ``grid`` is the common *denominator*, not the
        spacing: ``grid=2**30`` gives spacing ``2**-30``. Powers of two are fastest and are exact
        on floats.
    name : str, default "M"
        The argument named in errors.

    Returns
    -------
    flint.fmpq_mat
        A new exact rational matrix (never a view of `M`).

    Raises
    ------
    TypeError
        If `M` holds non-real entries (strings, complex, bools) or `grid` is not an integer.
    ValueError
        If `M` is not 2-D, is empty or holds NaN / inf, or if ``grid < 1``.

    See Also
    --------
    is_positive_definite_exact : the exact check this conversion feeds.

    Notes
    -----
    Rounding to a grid changes the matrix: a certificate must then be verified for the rounded
    matrix (and the rounded matrix recorded), which is what theory.md §5 prescribes.

    Examples
    --------
    >>> import numpy as np
    >>> to_rational(np.array([[0.5, 0.1]]))
    [1/2, 3602879701896397/36028797018963968]
    >>> to_rational(np.array([[0.5, 0.1]]), grid=2**4)
    [1/2, 1/8]
    """
    grid = _check_grid(grid)
    return _as_fmpq_mat(name, M, grid=grid)


def round_dyadic(M: object, *, bits: int = 30) -> tuple[np.ndarray, flint.fmpq_mat]:
    """Round a float array to a dyadic grid scaled to its largest entry, keeping symmetry.

    Every entry is rounded to the nearest multiple of ``2**-s``, where ``s`` is chosen so that
    the largest entry has about `bits` significant bits. The rounded values are exactly
    representable in double precision, so the float array returned and the rational matrix
    returned are *the same numbers*; an exactly symmetric input stays exactly symmetric.
    Solver output is rounded this way before it is verified (theory.md §5): the certificate is
    then the rounded matrix, not the solver's.

    Parameters
    ----------
    M : array_like, shape (rows, cols) or (n,)
        Finite real values (a vector is treated as one row).
    bits : int, default 30
        Significant bits kept for the largest entry, 1 <= bits <= 52.

    Returns
    -------
    (numpy.ndarray, flint.fmpq_mat)
        The rounded values (same shape as `M`) and the same values as an exact 2-D rational matrix.

    Examples
    --------
    >>> values, exact = round_dyadic(np.array([[1.0, 1 / 3], [1 / 3, 2.0]]), bits=8)
    >>> values.tolist()
    [[1.0, 0.328125], [0.328125, 2.0]]
    >>> exact[0, 1] == exact[1, 0]
    True
    """
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or not 1 <= bits <= 52:
        raise InvalidInput(f"`bits` must be an integer in [1, 52]; got {bits!r}")
    array = np.array(M, dtype=np.float64)
    if array.ndim not in (1, 2) or array.size == 0:
        raise InvalidInput(f"`M` must be a non-empty vector or matrix; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput("`M` must be finite; found NaN or inf")
    largest = float(np.max(np.abs(array)))
    exponent = 0 if largest == 0.0 else int(np.frexp(largest)[1])  # largest < 2**exponent
    grid = 2 ** (int(bits) - exponent)  # a power of two (or its reciprocal)
    matrix = array if array.ndim == 2 else array[None, :]
    if grid >= 1:
        rounded = np.rint(matrix * float(grid)) / float(grid)
        exact = to_rational(rounded, grid=int(grid))
    else:  # entries above 2**bits: round to multiples of a power of two > 1
        step = float(2 ** (exponent - int(bits)))
        rounded = np.rint(matrix / step) * step
        exact = to_rational(rounded)
    return rounded.reshape(array.shape), exact


# ----------------------------------------------------------------------------------------------
# Positive definiteness
# ----------------------------------------------------------------------------------------------


def _check_square_symmetric(name: str, Q: flint.fmpq_mat) -> None:
    rows, cols = Q.nrows(), Q.ncols()
    if rows != cols:
        raise InvalidInput(f"`{name}` must be square; got shape ({rows}, {cols})")
    if Q != Q.transpose():
        for i in range(rows):
            for j in range(i + 1, rows):
                if Q[i, j] != Q[j, i]:
                    raise InvalidInput(
                        f"`{name}` must be exactly symmetric; got {name}[{i}, {j}] = {Q[i, j]} "
                        f"!= {name}[{j}, {i}] = {Q[j, i]} (symmetrise first, e.g. (M + M.T) / 2, "
                        "which is exactly symmetric in floating point)"
                    )



def is_positive_definite_exact(M: object, *, method: Method = "auto") -> bool:
    """Decide exactly whether a symmetric rational matrix is positive definite.

    Parameters
    ----------
    M : array_like or flint.fmpq_mat, shape (n, n)
        An exactly symmetric matrix. Floats are read exactly as the dyadic rationals they are
        (round first with :func:`to_rational` and ``grid=`` for speed); nested lists of ints or
        :class:`fractions.Fraction`, sympy matrices and ``fmpq_mat`` / ``fmpz_mat`` are accepted.
    method : {"auto", "charpoly", "sylvester"}, optional
        All three are exact and give the same answer; they differ in speed.

        - ``"auto"`` (default): exact proofs guided by floating point, then ``"charpoly"`` when
          those are inconclusive (near-singular or ill-conditioned matrices). About 0.1 s for a
          well-conditioned matrix of size 200 with 30-bit entries.
        - ``"charpoly"``: Descartes' rule of signs on the exact characteristic polynomial
          (FLINT's ``fmpz_mat.charpoly``). About 1.3 s at n = 200 with 30-bit entries.
        - ``"sylvester"``: Sylvester's criterion, all leading principal minors from FLINT's
          fraction-free (Bareiss) LU. Slower for large n (about 6 s at n = 200); kept as an
          independent route for cross-checks.

    Returns
    -------
    bool
        True iff ``x^T M x > 0`` for every nonzero real x.

    Raises
    ------
    TypeError
        If `M` holds non-real entries.
    ValueError
        If `M` is not square, not exactly symmetric, empty, or holds NaN / inf, or if `method` is
        unknown.

    See Also
    --------
    is_negative_definite_exact, to_rational

    Notes
    -----
    `M` is first scaled by the least common denominator of its entries to an integer matrix ``A``
    (same definiteness). A nonpositive diagonal entry settles the question at once. In ``"auto"``
    mode, a floating-point Cholesky factor ``L`` of ``A`` is rounded to an integer matrix
    ``X ~ 2**s L^{-1}`` and the exact product ``B = X A X^T`` is tested for (scaled) strict
    diagonal dominance: if it holds, Gershgorin proves ``B > 0``, hence X is invertible and A is
    positive definite by Sylvester's law of inertia. When the float Cholesky fails, the eigenvector
    of the smallest float eigenvalue, rounded to integers ``v``, proves ``A`` is not positive
    definite if ``v^T A v <= 0`` exactly. Otherwise the exact characteristic polynomial decides.
    The floats only choose X and v: every conclusion rests on exact integer arithmetic.

    Examples
    --------
    >>> is_positive_definite_exact([[2, -1], [-1, 2]])
    True
    >>> from fractions import Fraction
    >>> eps = Fraction(1, 10**20)
    >>> is_positive_definite_exact([[1, 1], [1, 1 + eps]])
    True
    >>> is_positive_definite_exact([[1, 1], [1, 1]])  # positive semidefinite, singular
    False
    """
    method = check_choice("method", method, _METHODS)
    Q = _as_fmpq_mat("M", M)
    _check_square_symmetric("M", Q)
    return is_positive_definite_integer(integer_matrix(Q), method)


def is_negative_definite_exact(M: object, *, method: Method = "auto") -> bool:
    """Decide exactly whether a symmetric rational matrix is negative definite.

    Equivalent to ``is_positive_definite_exact(-M)``; see that function for the accepted inputs,
    the methods and the errors.

    Parameters
    ----------
    M : array_like or flint.fmpq_mat, shape (n, n)
        An exactly symmetric real matrix (floats are read exactly).
    method : {"auto", "charpoly", "sylvester"}, optional
        Exact method, as in :func:`is_positive_definite_exact`.

    Returns
    -------
    bool
        True iff ``x^T M x < 0`` for every nonzero real x.

    Examples
    --------
    >>> import numpy as np
    >>> is_negative_definite_exact(np.array([[-2.0, 0.5], [0.5, -1.0]]))
    True
    >>> is_negative_definite_exact(np.array([[-2.0, 0.0], [0.0, 0.0]]))
    False
    """
    method = check_choice("method", method, _METHODS)
    Q = _as_fmpq_mat("M", M)
    _check_square_symmetric("M", Q)
    return is_positive_definite_integer(integer_matrix(-Q), method)


def _is_positive_definite_sympy(M: object) -> bool:
    """Independent cross-check in sympy rationals (n < 30 only, for tests).

    Symmetric Gaussian elimination without pivoting (exact LDL^T): the k-th pivot is the ratio of
    consecutive leading principal minors, so M > 0 iff every pivot is > 0.
    """
    import sympy

    Q = _as_fmpq_mat("M", M)
    _check_square_symmetric("M", Q)
    n = Q.nrows()
    if n >= _SYMPY_MAX_SIZE:
        raise InvalidInput(
            f"`M` is too large for the sympy cross-check: n must be < {_SYMPY_MAX_SIZE}; got n={n}"
        )
    S = [[sympy.Rational(int(Q[i, j].p), int(Q[i, j].q)) for j in range(n)] for i in range(n)]
    for k in range(n):
        pivot = S[k][k]
        if not pivot > 0:
            return False
        for i in range(k + 1, n):
            factor = S[i][k] / pivot
            for j in range(k + 1, n):
                S[i][j] -= factor * S[k][j]
    return True
