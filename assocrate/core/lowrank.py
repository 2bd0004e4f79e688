"""The symmetric low-rank operator ``W = U C U^T`` and its reduced eigenproblems (theory.md §1, §4).

``U`` is N x m (m = P + 1), ``C`` is diagonal, stored as its diagonal ``c``. Mat-vecs cost O(N m)
per column, spectra O(N m^2) (or O(k m^2) on k row types), and no N x N matrix is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg.blas

from .threads import blas_threads_for, single_threaded_blas

__all__ = [
    "RANK_RTOL",
    "Spectrum",
    "batched_max_reduced_eigenvalue",
    "lowrank_matvec",
    "make_spectrum",
    "range_factor",
    "reduced_eigenvalues",
    "reduced_matrix",
    "reduced_spectrum",
    "symmetric_part",
    "weighted_gram",
]

# Rows per block in weighted_gram.
_GRAM_BLOCK = 32768

#: Relative rank threshold of :func:`range_factor`, per row of the m x m Gram matrix: eigenvalues of
#: ``G`` below ``max(w) * m * RANK_RTOL`` are rounding of exact zeros.
RANK_RTOL = 8 * np.finfo(float).eps


@dataclass(frozen=True, repr=False)
class Spectrum:
    """Eigenvalues with multiplicities.

    Attributes
    ----------
    values : numpy.ndarray, shape (n_distinct,)
        Eigenvalues (real), sorted ascending; values may repeat when they come from different
        blocks.
    multiplicities : numpy.ndarray of int, shape (n_distinct,)
        Multiplicity of each entry of `values`.
    """

    values: np.ndarray
    multiplicities: np.ndarray

    @property
    def size(self) -> int:
        """Total number of eigenvalues counted with multiplicity."""
        return int(self.multiplicities.sum())

    @property
    def max(self) -> float:
        """Largest eigenvalue."""
        return float(self.values[-1])

    def grouped(self, rtol: float = 1e-9) -> Spectrum:
        """Merge eigenvalues within ``rtol * max(1, |max|)`` of their neighbour, adding multiplicities.

        Examples
        --------
        >>> make_spectrum(np.array([1.0, 1.0 + 1e-14, 2.0]), np.array([1, 1, 3])).grouped().multiplicities
        array([2, 3])
        """
        scale = rtol * max(1.0, float(np.max(np.abs(self.values))))
        starts = np.flatnonzero(np.diff(self.values, prepend=-np.inf) > scale)
        counts = np.add.reduceat(self.multiplicities, starts)
        return make_spectrum(self.values[starts], counts)

    def dense(self) -> np.ndarray:
        """All eigenvalues with repetition, sorted ascending (length `size`; for tests)."""
        return np.repeat(self.values, self.multiplicities)

    def __repr__(self) -> str:
        """Up to 8 distinct values with their multiplicities (``grouped()`` first), else the extremes."""
        if self.values.size <= 8:
            listed = ", ".join(f"{v:.6g} (x{m})" for v, m in zip(self.values, self.multiplicities))
            return f"Spectrum(size={self.size}: {listed})"
        return f"Spectrum(size={self.size}, min={self.values[0]:.6g}, max={self.max:.6g}, n_listed={self.values.size})"


def make_spectrum(values: np.ndarray, multiplicities: np.ndarray) -> Spectrum:
    """Sort eigenvalues, drop zero multiplicities and freeze the arrays."""
    values = np.asarray(values, dtype=float)
    multiplicities = np.asarray(multiplicities, dtype=np.int64)
    keep = multiplicities > 0
    order = np.argsort(values[keep], kind="stable")
    sorted_values = np.ascontiguousarray(values[keep][order])
    sorted_multiplicities = np.ascontiguousarray(multiplicities[keep][order])
    sorted_values.flags.writeable = False
    sorted_multiplicities.flags.writeable = False
    return Spectrum(sorted_values, sorted_multiplicities)


def lowrank_matvec(U: np.ndarray, c: np.ndarray, X: np.ndarray, right: np.ndarray | None = None) -> np.ndarray:
    """``U diag(c) U^T X`` (or ``U diag(c) right^T X``) for one vector (N,) or a batch (N, B), in O(N m B).

    `right` is the right factor of a non-symmetric ``W = L C R^T`` (``U`` is then L); None means
    ``right = U``.

    Examples
    --------
    >>> U = np.array([[1.0, 1.0], [0.0, 1.0]]); c = np.array([2.0, 0.5])
    >>> lowrank_matvec(U, c, np.array([1.0, 0.0]))
    array([2.5, 0.5])
    >>> lowrank_matvec(U, c, np.array([1.0, 0.0]), right=np.eye(2))
    array([2., 0.])
    """
    with blas_threads_for(U.shape[0], U.shape[1], X.shape[1] if X.ndim == 2 else 1):
        coefficients = (U if right is None else right).T @ X
        coefficients *= c[:, None] if coefficients.ndim == 2 else c
        return U @ coefficients


def weighted_gram(
    U: np.ndarray, d: np.ndarray | None = None, counts: np.ndarray | None = None, *, dtype: type = np.float64
) -> np.ndarray:
    """``U^T diag(d * counts) U`` (m x m), exactly symmetric, computed in and returned as `dtype`.

    With `counts` the rows of `U` stand for row types, each repeated `counts` times, so the cost is
    O(k m^2) instead of O(N m^2). The sum runs over blocks of rows: one BLAS call over 10^6 rows is
    several times slower than blocks that stay in cache (measured 15 s vs 1.3 s at N = 10^6, m = 101).
    With weights ``w = d * counts >= 0`` (slopes of a monotone activation) it is the symmetric
    rank-k update ``V^T V``, ``V = diag(sqrt(w)) U`` (BLAS ``dsyrk``: half the flops of a product;
    4.4 ms against 8.3 ms at N = 2000, m = 301, one thread); with a negative weight, a product.
    ``dtype=numpy.float32`` (``ssyrk``) takes about half the time of float64 and is off by about
    1e-6 relative (Newton's float32-based steps, refined in float64); pass a float32 `U` to it
    to avoid a conversion per call.

    Examples
    --------
    >>> U = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> weighted_gram(U, np.array([1.0, 0.5]))
    array([[ 5.5,  8. ],
           [ 8. , 12. ]])
    >>> weighted_gram(U, np.array([1.0, -0.5]))
    array([[-3.5, -4. ],
           [-4. , -4. ]])
    """
    U = np.asarray(U, dtype=dtype)
    weights = np.ones(U.shape[0], dtype=dtype) if d is None else np.asarray(d, dtype=dtype)
    if counts is not None:
        weights = (weights * counts).astype(dtype, copy=False)
    m = U.shape[1]
    rank_k = bool(np.all(weights >= 0.0))
    roots = np.sqrt(weights) if rank_k else None
    gram = np.zeros((m, m), dtype=dtype, order="F")  # syrk updates a Fortran-ordered matrix in place
    syrk = scipy.linalg.blas.get_blas_funcs("syrk", (gram,))  # dsyrk, or ssyrk in float32
    with blas_threads_for(min(U.shape[0], _GRAM_BLOCK), m, m):
        for start in range(0, U.shape[0], _GRAM_BLOCK):
            block = U[start : start + _GRAM_BLOCK]
            if rank_k:
                scaled = block * roots[start : start + _GRAM_BLOCK, None]  # (rows, m) C-ordered: .T is (m, rows) F
                gram = syrk(1.0, scaled.T, beta=1.0, c=gram, trans=0, lower=0, overwrite_c=1)
            else:
                gram += block.T @ (block * weights[start : start + _GRAM_BLOCK, None])
    if not rank_k:
        return 0.5 * (gram + gram.T)
    # syrk filled the upper triangle; the lower one is still 0, so this mirrors it without rounding
    full = gram + gram.T
    np.fill_diagonal(full, np.diagonal(gram))
    return full


def symmetric_part(matrix: np.ndarray) -> np.ndarray:
    """``(M + M^T) / 2`` over the last two axes."""
    return 0.5 * (matrix + np.swapaxes(matrix, -1, -2))


def range_factor(gram: np.ndarray, *, max_rank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``R`` with ``G = R R^T`` on the range of ``G`` -- the one rank decision of the package.

    ``G = V w V^T``; a direction is kept when ``w > max(w_max, 0) * m * RANK_RTOL`` (far above the
    rounding of the eigensolver), and at most `max_rank` directions are kept (``rank G <= N``: pass
    N when ``m`` may exceed it).

    Parameters
    ----------
    gram : numpy.ndarray, shape (m, m) or (..., m, m)
        ``U^T D U`` with D >= 0 diagonal, or a stack of them.
    max_rank : int, optional
        Keep at most this many directions (the largest).

    Returns
    -------
    R : numpy.ndarray, shape like `gram`
        ``V sqrt(w)`` with the columns of the dropped directions set to 0.
    keep : numpy.ndarray of bool, shape (..., m)
        The kept directions; ``R[:, keep]`` is the m x rank factor of one matrix.

    Notes
    -----
    One matrix and a stack alike are decomposed by :func:`numpy.linalg.eigh` (LAPACK ``syevd``):
    scipy's wrapper costs about 25 us more per (P+1) x (P+1) matrix, a third of the whole spectrum
    at P = 20, and would loop over a stack in Python.
    """
    symmetric = symmetric_part(gram)
    with single_threaded_blas():  # (P+1) x (P+1): one thread (assocrate.core.threads)
        w, V = np.linalg.eigh(symmetric)
    m = symmetric.shape[-1]
    keep = w > np.maximum(w[..., -1:], 0.0) * m * RANK_RTOL
    if max_rank is not None:
        keep[..., : max(0, m - max_rank)] = False  # w ascends: drop the smallest
    return V * np.sqrt(np.where(keep, w, 0.0))[..., None, :], keep


def reduced_matrix(R: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The symmetric ``R^T C R`` (over the last two axes; `c` is the diagonal of C, shape (..., m)).

    Its eigenvalues are the nonzero eigenvalues of ``C G`` and of ``D^{1/2} U C U^T D^{1/2}``.
    """
    return symmetric_part(np.swapaxes(R, -1, -2) @ (c[..., :, None] * R))


def reduced_eigenvalues(gram: np.ndarray, c: np.ndarray, *, max_rank: int | None = None) -> np.ndarray:
    """Eigenvalues of ``C G`` on the range of ``G = U^T D U`` (sorted ascending, one per kept direction).

    With ``R`` of :func:`range_factor` the nonzero spectrum of ``D^{1/2} U C U^T D^{1/2}`` (N x N) is
    that of the symmetric ``R^T C R`` (``spec(A B) \\ {0} = spec(B A) \\ {0}``); the remaining
    ``N - rank`` eigenvalues are 0. O(m^3).

    Parameters
    ----------
    gram : numpy.ndarray, shape (m, m)
        ``U^T D U`` (see :func:`weighted_gram`).
    c : numpy.ndarray, shape (m,)
        Diagonal of C.
    max_rank : int, optional
        As in :func:`range_factor`.

    Returns
    -------
    numpy.ndarray, shape (rank,)

    Examples
    --------
    >>> U = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]); c = np.array([0.5, -1.0])
    >>> reduced_eigenvalues(weighted_gram(U), c)
    array([-1.,  1.])
    """
    with single_threaded_blas():  # (P+1) x (P+1): one thread, one limit for both decompositions
        R, keep = range_factor(gram, max_rank=max_rank)
        if not keep.any():
            return np.zeros(0)
        return np.linalg.eigvalsh(reduced_matrix(R[:, keep], c))


def reduced_spectrum(gram: np.ndarray, c: np.ndarray, n_units: int) -> Spectrum:
    """Spectrum of ``D^{1/2} U C U^T D^{1/2}`` (N x N) from ``gram = U^T D U`` (m x m).

    Parameters
    ----------
    gram : numpy.ndarray, shape (m, m)
        ``U^T D U`` with D >= 0 diagonal (see :func:`weighted_gram`).
    c : numpy.ndarray, shape (m,)
        Diagonal of C.
    n_units : int
        N, the size of the full operator.

    Returns
    -------
    Spectrum
        The rank reduced eigenvalues of :func:`reduced_eigenvalues`, plus 0 with multiplicity
        ``n_units - rank``.
    """
    reduced = reduced_eigenvalues(gram, c, max_rank=n_units)
    multiplicities = np.append(np.ones(reduced.size, dtype=np.int64), n_units - reduced.size)
    return make_spectrum(np.append(reduced, 0.0), multiplicities)


def batched_max_reduced_eigenvalue(grams: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``lambda_max(C G)`` for a stack of Gram matrices ``(..., m, m)`` and diagonals ``(..., m)``.

    The same reduction as :func:`reduced_eigenvalues`, on the whole stack at once. A dropped
    direction of G gives the eigenvalue 0 (the bulk), so the maximum is over the range of G and 0
    when G is singular.
    """
    R, _ = range_factor(grams)
    with single_threaded_blas():
        return np.linalg.eigvalsh(reduced_matrix(R, c))[..., -1]
