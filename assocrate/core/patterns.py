"""Binary pattern ensembles and their row types (theory.md §1, §3).

Patterns are N x P boolean arrays (one column per memory), never float N x N anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._budget import check_cost, patterns_cost
from .._validation import (
    as_generator,
    check_choice,
    check_fraction,
    check_patterns,
    check_positive_int,
)
from .._validation import readonly as _readonly
from ..errors import InvalidInput

__all__ = [
    "ENSEMBLES",
    "PatternStatistics",
    "RowTypes",
    "correlated_patterns",
    "default_pattern_count",
    "equal_overlap_patterns",
    "make_patterns",
    "pattern_statistics",
    "random_patterns",
    "row_types",
]

# Guards float round-off in counts such as q*q*N = 40.00000000000001 or 39.99999999999999.
_COUNT_EPS = 1e-9


def _count(x: float) -> int:
    return math.floor(x + _COUNT_EPS)


def random_patterns(
    n_units: int, n_patterns: int, q: float, *, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """I.i.d. Bernoulli(`q`) patterns.

    Parameters
    ----------
    n_units : int
        Number of units N >= 1.
    n_patterns : int
        Number of patterns P >= 1.
    q : float
        Activity, in (0, 1).
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    numpy.ndarray of bool, shape (n_units, n_patterns)

    Examples
    --------
    >>> xi = random_patterns(1000, 3, 0.2, seed=0)
    >>> xi.shape, xi.dtype
    ((1000, 3), dtype('bool'))
    """
    n = check_positive_int("n_units", n_units)
    p = check_positive_int("n_patterns", n_patterns)
    q = check_fraction("q", q)
    check_cost(patterns_cost(n, p), f"random_patterns: {n} units x {p} patterns", "`n_units` or `n_patterns`")
    rng = as_generator(seed)
    return _readonly(rng.random((n, p), dtype=np.float32) < np.float32(q))


def equal_overlap_patterns(n_units: int, q: float) -> np.ndarray:
    """The equal-overlap construction: every pattern has the same size, every pair the same overlap.

    ``P = floor(1 + 1/q)``; the first ``floor(q^2 N)`` rows are all ones, then
    ``floor(q (1 - q) N)`` blocks of P rows each equal to the identity ``I_P``; remaining rows are
    zero. Each pattern has ``q^2 N + q(1-q) N`` ones and every pair overlaps in ``q^2 N`` units
    (overlap fraction r = q).

    Parameters
    ----------
    n_units : int
        Number of units N; must be large enough to hold the construction.
    q : float
        Activity, in (0, 1).

    Returns
    -------
    numpy.ndarray of bool, shape (n_units, floor(1 + 1/q))

    Examples
    --------
    >>> xi = equal_overlap_patterns(1000, 0.2)
    >>> xi.shape, int(xi.sum(axis=0)[0]), int((xi[:, 0] & xi[:, 1]).sum())
    ((1000, 6), 200, 40)
    """
    n = check_positive_int("n_units", n_units)
    q = check_fraction("q", q)
    p = _count(1.0 + 1.0 / q)
    n_common = _count(q * q * n)
    n_blocks = _count(q * (1.0 - q) * n)
    used = n_common + n_blocks * p
    if used > n:
        raise InvalidInput(f"`n_units` must be >= {used} for the equal-overlap construction with q={q}; got {n}")
    if n_common == 0 or n_blocks == 0:
        raise InvalidInput(
            f"`n_units` is too small for q={q}: the construction needs floor(q^2 N) >= 1 shared rows and "
            f"floor(q (1-q) N) >= 1 blocks; got n_units={n}"
        )
    patterns = np.zeros((n, p), dtype=bool)
    patterns[:n_common] = True
    patterns[n_common:used] = np.tile(np.eye(p, dtype=bool), (n_blocks, 1))
    return _readonly(patterns)


def correlated_patterns(
    n_units: int, n_patterns: int, q: float, r: float, *, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Patterns with exact size ``round(q N)`` and exact pairwise overlap ``round(r q N)``.

    Each new pattern takes ``round(r q N)`` units active in all previous patterns and the rest from
    units inactive in all of them, so every pair shares the same core.

    Parameters
    ----------
    n_units : int
        Number of units N.
    n_patterns : int
        Number of patterns P.
    q : float
        Activity, in (0, 1).
    r : float
        Overlap fraction, in (0, 1).
    seed : int, numpy.random.Generator or None
        Source of randomness (which units are chosen).

    Returns
    -------
    numpy.ndarray of bool, shape (n_units, n_patterns)

    Examples
    --------
    >>> xi = correlated_patterns(1000, 5, 0.2, 0.4, seed=1)
    >>> int(xi[:, 0].sum()), int((xi[:, 1] & xi[:, 4]).sum())
    (200, 80)
    """
    n = check_positive_int("n_units", n_units)
    p = check_positive_int("n_patterns", n_patterns)
    q = check_fraction("q", q)
    r = check_fraction("r", r)
    rng = as_generator(seed)
    size = round(q * n)
    core = round(r * size)
    needed = core + p * (size - core)
    if size == 0 or needed > n:
        raise InvalidInput(
            f"`n_units` must be >= {max(needed, 1)} to hold {p} patterns of size q*N with overlap r*q*N; "
            f"got n_units={n}"
        )
    order = rng.permutation(n)
    core_units = order[:core]
    patterns = np.zeros((n, p), dtype=bool)
    patterns[core_units, :] = True
    own = size - core
    for mu in range(p):
        patterns[order[core + mu * own : core + (mu + 1) * own], mu] = True
    return _readonly(patterns)


@dataclass(frozen=True, repr=False)
class RowTypes:
    """Distinct rows of a pattern matrix.

    Attributes
    ----------
    rows : numpy.ndarray of bool, shape (k, n_patterns)
        The distinct rows.
    counts : numpy.ndarray of int, shape (k,)
        How many units have each row.
    index : numpy.ndarray of int, shape (n_units,)
        ``rows[index[i]]`` is unit i's row.
    """

    rows: np.ndarray
    counts: np.ndarray
    index: np.ndarray

    @property
    def n_types(self) -> int:
        """Number of distinct rows k."""
        return int(self.rows.shape[0])

    def __repr__(self) -> str:
        return f"RowTypes(n_types={self.n_types}, n_units={int(self.counts.sum())}, n_patterns={self.rows.shape[1]})"


def row_types(patterns: np.ndarray) -> RowTypes:
    """Group the units by their pattern rows.

    Units with identical rows are interchangeable: every type-constant quantity reduces to k x k.

    Parameters
    ----------
    patterns : array_like of 0/1, shape (n_units, n_patterns)

    Returns
    -------
    RowTypes

    Examples
    --------
    >>> types = row_types(equal_overlap_patterns(1000, 0.2))
    >>> types.n_types, sorted(types.counts.tolist())
    (7, [40, 160, 160, 160, 160, 160, 160])
    """
    xi = check_patterns("patterns", patterns)
    n_units = xi.shape[0]
    if xi.shape[1] > 64:  # several words: np.unique on byte strings beats a lexsort over the words
        packed = np.packbits(xi, axis=1)
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, index, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        rows = np.ascontiguousarray(xi[first])
        return RowTypes(_readonly(rows), _readonly(counts.astype(np.int64)), _readonly(index.astype(np.int64)))
    key = _packed_key(xi)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.ones(n_units, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    group = np.cumsum(starts) - 1  # type of the i-th unit in sorted order
    first = order[starts]  # stable sort: the first unit of each type
    counts = np.diff(np.append(np.flatnonzero(starts), n_units))
    index = np.empty(n_units, dtype=np.int64)
    index[order] = group
    rows = np.ascontiguousarray(xi[first])
    return RowTypes(_readonly(rows), _readonly(counts.astype(np.int64)), _readonly(index))


def _packed_key(xi: np.ndarray) -> np.ndarray:
    """Each row of `xi` (N, P <= 64) as one unsigned 64-bit integer, shape (N,).

    Bits are packed most significant first and the bytes read big-endian, so the integers order
    the rows lexicographically, as the byte strings of :func:`numpy.packbits` do (types are numbered
    in that order whatever the route). Sorting integer keys is 1.5-2.6x faster than sorting byte
    strings (void dtype) at N = 10^6, P = 20 (``benchmarks/bench_design.py``).
    """
    packed = np.zeros((xi.shape[0], 8), dtype=np.uint8)
    packed[:, : -(-xi.shape[1] // 8)] = np.packbits(xi, axis=1)
    return packed.view(">u8").astype(np.uint64).ravel()


@dataclass(frozen=True)
class PatternStatistics:
    """Activity and overlap statistics of a pattern set.

    Attributes
    ----------
    q : float
        Mean activity (fraction of ones).
    r : float
        Mean pairwise overlap fraction ``|xi^mu and xi^nu| / (q N)`` (equal to `q` when P = 1).
    equal_sizes : bool
        Every pattern has the same number of ones.
    equal_overlaps : bool
        Every pair of patterns has the same overlap.
    """

    q: float
    r: float
    equal_sizes: bool
    equal_overlaps: bool

    @property
    def is_exact_design(self) -> bool:
        """Whether the design rule makes the memories exact equilibria."""
        return self.equal_sizes and self.equal_overlaps


def pattern_statistics(patterns: np.ndarray) -> PatternStatistics:
    """Estimate q and r and check the equal-size / equal-overlap assumptions.

    Counts are computed through the row types, O(k P^2) after grouping.

    Examples
    --------
    >>> pattern_statistics(equal_overlap_patterns(1000, 0.2))
    PatternStatistics(q=0.2, r=0.2, equal_sizes=True, equal_overlaps=True)
    """
    xi = check_patterns("patterns", patterns)
    n_units, n_patterns = xi.shape
    types = row_types(xi)
    rows = types.rows.astype(np.float64)
    overlap_counts = rows.T @ (rows * types.counts[:, None])
    sizes = np.diag(overlap_counts)
    if np.any(sizes == 0):
        empty = int(np.flatnonzero(sizes == 0)[0])
        raise InvalidInput(f"`patterns` column {empty} has no active unit; every pattern needs one")
    if np.any(sizes == n_units):
        full = int(np.flatnonzero(sizes == n_units)[0])
        raise InvalidInput(f"`patterns` column {full} has every unit active; activity must be < 1")
    q = float(sizes.mean()) / n_units
    off_diagonal = overlap_counts[~np.eye(n_patterns, dtype=bool)]
    r = float(off_diagonal.mean()) / (q * n_units) if n_patterns > 1 else q
    return PatternStatistics(
        q=q,
        r=r,
        equal_sizes=bool(np.all(sizes == sizes[0])),
        equal_overlaps=bool(off_diagonal.size == 0 or np.all(off_diagonal == off_diagonal[0])),
    )


#: Names accepted by :func:`make_patterns`.
ENSEMBLES = ("equal-overlap", "random", "correlated")


def default_pattern_count(n: int) -> int:
    """``P = floor(N / (10 ln N))``, the load of the reference retrieval experiment (theory.md §7)."""
    n = check_positive_int("n", n, minimum=2)
    return max(1, math.floor(n / (10.0 * math.log(n))))


def make_patterns(
    ensemble: str,
    *,
    n_units: int,
    q: float,
    n_patterns: int | None = None,
    r: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Build one of the named ensembles (``"equal-overlap"``, ``"random"``, ``"correlated"``).

    `n_patterns` defaults to :func:`default_pattern_count` for random patterns, and to that or the most
    correlated patterns that fit in `n_units` units, whichever is smaller (the equal-overlap construction
    fixes P itself); `r` is required for ``"correlated"``.

    Examples
    --------
    >>> make_patterns("random", n_units=1000, q=0.2, seed=0).shape
    (1000, 14)
    """
    n, p = n_units, n_patterns
    check_choice("ensemble", ensemble, ENSEMBLES)
    unused = {"equal-overlap": ("n_patterns", "r", "seed"), "random": ("r",), "correlated": ()}[ensemble]
    given = {"n_patterns": n_patterns, "r": r, "seed": seed}
    for name in unused:
        if given[name] is not None:
            raise InvalidInput(f"`{name}` has no effect with {ensemble} patterns; got {name}={given[name]!r}")
    if ensemble == "equal-overlap":
        return equal_overlap_patterns(n, q)
    if ensemble == "random":
        return random_patterns(n, default_pattern_count(n) if p is None else p, q, seed=seed)
    if r is None:
        raise InvalidInput("`r` is required for correlated patterns; got None")
    if p is None:
        size = round(check_fraction("q", q) * n)
        core = round(check_fraction("r", r) * size)
        p = max(1, min(default_pattern_count(n), (n - core) // max(size - core, 1)))
    return correlated_patterns(n, p, q, r, seed=seed)
