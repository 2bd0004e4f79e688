"""The linearisation points of the stored memories and their Gram matrices (theory.md §4).

At a memory ``D = diag(phi'(h))`` takes one value per row type of the patterns; everything the
spectra need is the Gram matrix ``U^T D U`` (m x m, m = P + 1) summed over the k row types. These
are shared by the spectra of :mod:`assocrate.stability`, :mod:`assocrate.dale` and :mod:`assocrate.sweeps`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .._validation import readonly
from ..core.design import MemoryNetwork
from ..core.equilibria import refine_equilibrium
from ..core.identity import identify_states
from ..core.lowrank import symmetric_part, weighted_gram
from ..core.threads import blas_threads_for

__all__ = [
    "MemoryPoint",
    "designed_residuals",
    "equilibrium_owner",
    "ideal_grams",
    "ideal_residuals",
    "is_exact_design",
    "iter_ideal_grams",
    "memory_points",
    "memory_rate",
    "point_gram",
    "type_rows",
]

# Rows per block when summing over N: one BLAS call on 10^6 rows is several times slower than
# blocks that stay in cache (see assocrate.core.lowrank.weighted_gram).
_CHUNK = 32768

# Exact integer sums in float32 stay exact below 2**24.
_FLOAT32_EXACT = 2**24


# ----------------------------------------------------------------------------------------------
# The linearisation point
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryPoint:
    """D at a memory on k rows of U (row types, or units), with how the point was found.

    For a non-symmetric ``W = L C R^T`` `rows` are rows of L and `right` the same rows of R (None:
    ``R = L``, a symmetric W).
    """

    rows: np.ndarray  # (k, m) rows of U (of L when W is not symmetric)
    counts: np.ndarray  # (k,) units per row
    slopes: np.ndarray  # (k,) phi'(h)
    eta: float  # max phi'(h) over the units
    residual: float  # max |-x + phi(W x)| at the point
    status: str  # "exact design", "designed memory (not refined)", or a NewtonStatus value
    shift: float  # max |x - x_ideal|
    owner: int | None = None  # the memory whose equilibrium this is (core.identity); None: none proved
    right: np.ndarray | None = None  # (k, m) rows of R for a non-symmetric W; None when R = L


def type_rows(network: MemoryNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(U rows, counts, pattern rows)`` per row type; the units themselves when all rows differ."""
    types = network.row_types
    if types.n_types == network.n_units:  # no reduction: avoid copying U
        return network.U, np.ones(network.n_units, dtype=np.int64), network.patterns
    return network.U[network.type_representatives], types.counts, types.rows


def ideal_residuals(network: MemoryNetwork, rows: np.ndarray, counts: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """``max |W x̄^mu - h̄^mu|`` for every memory, on row types (chunked, O(k m P))."""
    phi_a, phi_b = float(network.activation.phi(network.a)), float(network.activation.phi(network.b))
    # U^T x̄^mu = phi_a U^T 1 + (phi_b - phi_a) U^T xi^mu, weighted by the type counts
    column_sums = np.zeros(rows.shape[1])
    overlaps = np.zeros((rows.shape[1], xi.shape[1]))
    worst = np.zeros(xi.shape[1])
    with blas_threads_for(min(rows.shape[0], _CHUNK), rows.shape[1], xi.shape[1]):  # the thread policy
        for start in range(0, rows.shape[0], _CHUNK):
            block = rows[start : start + _CHUNK] * counts[start : start + _CHUNK, None]
            column_sums += block.sum(axis=0)
            overlaps += block.T @ xi[start : start + _CHUNK].astype(np.float64)
        coefficients = network.c[:, None] * (phi_a * column_sums[:, None] + (phi_b - phi_a) * overlaps)
        for start in range(0, rows.shape[0], _CHUNK):
            currents = network.a + (network.b - network.a) * xi[start : start + _CHUNK]
            worst = np.maximum(worst, np.abs(rows[start : start + _CHUNK] @ coefficients - currents).max(axis=0))
    return worst


def designed_residuals(network: MemoryNetwork) -> np.ndarray:
    """``max |W x̄^mu - h̄^mu|`` for every memory (:func:`ideal_residuals`), computed once per network."""
    return network.derived("design residuals", lambda: readonly(ideal_residuals(network, *type_rows(network))))


def memory_points(network: MemoryNetwork, memories: list[int], at: str) -> list[MemoryPoint]:
    """The linearisation point of each memory in `memories`."""
    rows, counts, xi = type_rows(network)
    dphi = network.activation.dphi
    ideal_slopes = (float(dphi(network.a)), float(dphi(network.b)))
    exact = is_exact_design(network)
    refine = at == "equilibrium" and not exact
    residuals = None if refine else designed_residuals(network)[memories]
    points = []
    for j, mu in enumerate(memories):
        if not refine:
            slopes = np.where(xi[:, mu], ideal_slopes[1], ideal_slopes[0])
            status = "exact design" if exact else "designed memory (not refined)"
            eta = float(slopes.max())
            points.append(MemoryPoint(rows, counts, slopes, eta, float(residuals[j]), status, 0.0, mu))
            continue
        x0 = memory_rate(network, mu)
        result = refine_equilibrium(network, x0)
        unit_slopes = dphi(result.h)
        shift = float(np.max(np.abs(result.x - x0)))
        types = network.row_types
        if types.n_types < network.n_units and np.array_equal(
            unit_slopes, unit_slopes[network.type_representatives][types.index]
        ):  # Newton keeps identical rows identical: D is type-constant
            slopes, point_rows, point_counts = unit_slopes[network.type_representatives], rows, counts
        else:
            slopes, point_rows, point_counts = unit_slopes, network.U, np.ones(network.n_units, dtype=np.int64)
        points.append(
            MemoryPoint(point_rows, point_counts, slopes, float(slopes.max()), result.residual, result.status.value, shift,
                        equilibrium_owner(network, result.x))
        )
    return points


def equilibrium_owner(network: MemoryNetwork, x: np.ndarray) -> int | None:
    """The memory whose equilibrium the rate state `x` is (l1-nearest designed state, :mod:`assocrate.core.identity`)."""
    phi_a, phi_b = float(network.activation.phi(network.a)), float(network.activation.phi(network.b))
    if not np.all(np.isfinite(x)):
        return None
    found = identify_states(network.patterns, np.ones(network.n_units, dtype=np.int64), x, x,
                            (phi_a, phi_a), (phi_b, phi_b))
    return found.memory


def is_exact_design(network: MemoryNetwork) -> bool:
    """``network.is_exact``, answered in O(N P) when the pattern sizes already differ (once per network)."""

    def exact() -> bool:
        sizes = np.count_nonzero(network.patterns, axis=0)
        return bool(np.all(sizes == sizes[0]) and network.is_exact)

    return network.derived("exact design", exact)


def memory_rate(network: MemoryNetwork, mu: int) -> np.ndarray:
    phi_a, phi_b = float(network.activation.phi(network.a)), float(network.activation.phi(network.b))
    return phi_a + (phi_b - phi_a) * network.patterns[:, mu]


def ideal_grams(network: MemoryNetwork) -> np.ndarray:
    """``U^T D_mu U`` at every designed memory, shape (P, m, m): :func:`iter_ideal_grams` stacked.

    Holds all P matrices (8 P m^2 bytes: 4.1 GB at P = 800); loops over memories should use
    :func:`iter_ideal_grams`, which holds one at a time.
    """
    return np.stack(list(iter_ideal_grams(network)))


def iter_ideal_grams(network: MemoryNetwork) -> Iterator[np.ndarray]:
    """``U^T D_mu U`` at each designed memory mu = 0, ..., P-1 in turn (m x m each), O(k m^2 + q k m^3 / 3).

    At a designed memory D takes two values, so ``G_mu = d_a G_0 + (d_b - d_a) G_mu^on`` where
    ``G_mu^on`` sums over the units active in pattern mu. With ``U = V B`` (``V = [Xi, 1]`` 0/1,
    ``B`` holds beta) the sums ``T[mu, j, l] = sum_i V_i,mu V_ij V_il`` are integer counts, symmetric
    in all three indices: only ``j, l >= mu`` are summed (a third of the work), in float32 BLAS,
    which is exact here (every partial sum is an integer below 2**24), then mapped through B in
    float64. The counts with ``mu <= j <= l`` are kept in one flat buffer (about ``m^3 / 3``
    numbers, 0.7 GB at P = 800, in float32), and ``G_mu^on`` is gathered from it one memory at a
    time: nothing of size P m^2 is ever formed.
    """
    rows, counts, xi = type_rows(network)
    if network.rule != "betteti":  # no [Xi, 1] B structure: one weighted Gram matrix per memory
        d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
        return np.stack([weighted_gram(rows, np.where(xi[:, mu], d_b, d_a), counts) for mu in range(xi.shape[1])])
    k, m = rows.shape
    P = m - 1
    count_dtype = np.float32 if network.n_units < _FLOAT32_EXACT else np.float64
    weights = counts.astype(count_dtype)

    def counts_gram(selection: np.ndarray, first: int) -> np.ndarray:
        """``V[sel, first:]^T diag(counts) V[sel, first:]`` (in `count_dtype`)."""
        total = np.zeros((m - first, m - first), dtype=count_dtype)
        with blas_threads_for(min(selection.size, _CHUNK), m - first, m - first):  # the thread policy
            for start in range(0, selection.size, _CHUNK):
                chosen = selection[start : start + _CHUNK]
                block = np.ones((chosen.size, m - first), dtype=count_dtype)
                block[:, :-1] = xi[chosen, first:]
                total += (block * weights[chosen, None]).T @ block
        return total

    # partial[mu] (the (m - mu) x (m - mu) counts with j, l >= mu), row-major, one after another
    sizes = (m - np.arange(P, dtype=np.int64)) ** 2
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    partial = np.empty(int(offsets[-1]), dtype=count_dtype)
    for mu in range(P):
        partial[offsets[mu] : offsets[mu + 1]] = counts_gram(np.flatnonzero(xi[:, mu]), mu).ravel()
    # B with U = V B: U[:, j] = u0 + (u1 - u0) xi_j for the stored values u1 = fl(1 - beta), u0 = -beta
    u1, u0 = float(np.float64(1.0) - network.beta), float(-network.beta)
    B = np.zeros((m, m))
    B[:P, :P] = np.eye(P) * (u1 - u0)
    B[P, :P] = u0
    B[P, P] = 1.0
    G0 = B.T @ counts_gram(np.arange(k), 0).astype(np.float64) @ B
    d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
    J, L = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    for mu in range(P):
        low, mid, high = np.sort(np.stack([np.full_like(J, mu), J, L]), axis=0)  # T is symmetric in its indices
        on = partial[offsets[low] + (mid - low) * (m - low) + (high - low)].astype(np.float64)
        with blas_threads_for(m, m, m):
            on_gram = B.T @ on @ B
        yield symmetric_part(d_a * G0 + (d_b - d_a) * on_gram)


def point_gram(point: MemoryPoint) -> np.ndarray:
    return weighted_gram(point.rows, point.slopes, point.counts)
