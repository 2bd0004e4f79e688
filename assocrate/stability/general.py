"""Spectra and local stability of a general low-rank ``W = L C R^T`` (projection rule; theory.md §3, §4).

The reduction of theory.md §4 needs no symmetry: with ``D = diag(phi'(h))`` the rate-form Jacobian
``(-I + D L C R^T)/tau`` has the eigenvalue ``-1/tau`` with multiplicity ``N - m`` and
``(-1 + lambda)/tau`` for the m eigenvalues ``lambda`` of ``C R^T D L`` (m x m, m = P for the
projection rule), since ``spec(A B) \\ {0} = spec(B A) \\ {0}``. For a non-symmetric W these are
complex; stability is decided by the largest real part. ``R^T D L`` is summed over the k row types
(rows of L and R depend only on the pattern row), so a memory costs O(k m^2 + m^3).

The paper's analytic conditions (theory.md §4) are stated for the betteti rule's ``alpha``,
``gamma``; they do not apply to the projection rule, and these results do not report them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validation import check_choice
from .._validation import readonly as _readonly
from ..core.design import MemoryNetwork, check_network
from ..core.equilibria import equilibrium_residual
from ..core.lowrank import reduced_eigenvalues, weighted_gram
from ..core.threads import single_threaded_blas
from ._linearization import MemoryPoint
from .spectra import POINTS, VERDICT_RTOL, Verdict, verdict_from

__all__ = [
    "GeneralLocalStability",
    "GeneralMemoryStability",
    "general_local_stability",
    "point_stability",
    "projection_points",
    "reduced_jacobian_eigenvalues",
    "reduced_weight_eigenvalues",
]

#: What the results of this module say about the paper's conditions.
CONDITIONS_NOTE = (
    "the paper's conditions (theory.md §4: eta max(alpha, gamma) < 1 and the instability test) are "
    "stated for the betteti rule's alpha and gamma and do not apply to the projection rule; the "
    "verdicts come from the exact reduced spectrum alone"
)


def _type_factors(network: MemoryNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(L rows, R rows, counts, pattern rows)``, one per row type."""
    types, first = network.row_types, network.type_representatives
    return network.L[first], network.R[first], np.asarray(types.counts, dtype=float), np.asarray(types.rows)


def _reduced(network: MemoryNetwork, L: np.ndarray, R: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``C R^T diag(weights) L``: real (ascending) for symmetric W, else complex."""
    c = network.c
    if network.is_symmetric:
        return reduced_eigenvalues(weighted_gram(L, weights), c, max_rank=network.n_units)
    small = c[:, None] * (R.T @ (weights[:, None] * L))
    with single_threaded_blas():  # m x m: one thread (assocrate.core.threads)
        values = scipy.linalg.eigvals(small)
    return values[np.lexsort((values.imag, values.real))]


def reduced_weight_eigenvalues(network: MemoryNetwork) -> np.ndarray:
    """The nonzero eigenvalues of W (with rounding zeros): those of ``C R^T L`` (m x m), on row types.

    Complex for a non-symmetric W, sorted by real part; the other ``N - m`` eigenvalues are 0.

    Examples
    --------
    >>> import assocrate as aa
    >>> xi = np.array([[1, 0], [1, 1], [0, 1], [0, 1], [0, 0]], dtype=bool)
    >>> net = aa.design(xi, aa.Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection")
    >>> bool(np.allclose(np.sort_complex(reduced_weight_eigenvalues(net)),
    ...                  np.sort_complex(np.linalg.eigvals(net.dense_weights()))[-2:]))
    True
    """
    network = check_network(network)
    L, R, counts, _ = _type_factors(network)
    return _reduced(network, L, R, counts)


def reduced_jacobian_eigenvalues(network: MemoryNetwork, slopes: np.ndarray) -> np.ndarray:
    """``lambda`` of ``C R^T D L`` for per-unit slopes ``phi'(h)`` (N,): J has ``(-1 + lambda)/tau``.

    O(N m^2); the other ``N - m`` Jacobian eigenvalues are ``-1/tau``.
    """
    network = check_network(network)
    slopes = np.asarray(slopes, dtype=float)
    return _reduced(network, network.L, network.R, slopes)


@dataclass(frozen=True, repr=False)
class GeneralMemoryStability:
    """One memory of a general design: the reduced Jacobian spectrum and its verdict.

    Attributes
    ----------
    index : int
    eigenvalues : numpy.ndarray, shape (m,)
        ``(-1 + lambda)/tau`` for the eigenvalues ``lambda`` of ``C R^T D L`` (complex for a
        non-symmetric W); the remaining ``N - m`` Jacobian eigenvalues are ``-1/tau``.
    max_real : float
        Largest real part over the whole Jacobian spectrum.
    verdict : Verdict
        From `max_real` with the band ``VERDICT_RTOL max(1, max |lambda|) / tau``.
    residual : float
        ``max |W x̄ - h̄|`` at the designed memory (the point of linearisation).
    """

    index: int
    eigenvalues: np.ndarray
    max_real: float
    verdict: Verdict
    residual: float

    @property
    def max_eigenvalue(self) -> float:
        """:attr:`max_real`, under the name :class:`~assocrate.stability.JacobianSpectrum` uses."""
        return self.max_real

    @property
    def equilibrium_found(self) -> bool:
        """True: a projection-rule memory is an exact equilibrium by construction (:attr:`residual` reports it)."""
        return True

    @property
    def identified(self) -> bool:
        """Always True: the designed memory is an equilibrium by construction and belongs to its memory."""
        return True

    def __repr__(self) -> str:
        return f"GeneralMemoryStability(index={self.index}, max_real={self.max_real:.6g}, verdict={self.verdict.name})"


@dataclass(frozen=True, repr=False)
class GeneralLocalStability:
    """Local stability of every memory of a projection-rule design (theory.md §3, §4).

    Attributes
    ----------
    n_units, n_patterns : int
    tau : float
    symmetric : bool
        Whether W is symmetric (then the eigenvalues are real).
    memories : tuple of GeneralMemoryStability
    note : str
        Why the paper's conditions are not reported.
    """

    n_units: int
    n_patterns: int
    tau: float
    symmetric: bool
    memories: tuple[GeneralMemoryStability, ...]
    note: str = CONDITIONS_NOTE

    @property
    def n_stable(self) -> int:
        """Memories with verdict STABLE."""
        return sum(m.verdict is Verdict.STABLE for m in self.memories)

    @property
    def max_eigenvalues(self) -> np.ndarray:
        """Largest real part per memory (P,)."""
        return _readonly(np.array([m.max_real for m in self.memories]))

    def to_record(self) -> dict:
        """A JSON-ready dict (``assocrate check --json``)."""
        return {
            "n_units": self.n_units,
            "n_patterns": self.n_patterns,
            "tau": self.tau,
            "rule": "projection",
            "symmetric": self.symmetric,
            "n_stable": self.n_stable,
            "memories": [
                {
                    "index": m.index,
                    "max_eigenvalue": m.max_real,
                    "max_abs_imag": float(np.max(np.abs(np.imag(m.eigenvalues)))) if m.eigenvalues.size else 0.0,
                    "stable": m.verdict is Verdict.STABLE,
                    "verdict": m.verdict.name.lower(),
                    "equilibrium_residual": m.residual,
                }
                for m in self.memories
            ],
            "note": self.note,
        }

    def summary(self) -> str:
        """Per memory: largest real part, largest imaginary part, verdict, residual."""
        kind = "symmetric" if self.symmetric else "non-symmetric"
        lines = [
            f"Local stability (projection rule, {kind} W, tau={self.tau:g}): "
            f"{self.n_stable} of {self.n_patterns} memories stable",
            f"  N={self.n_units}, P={self.n_patterns}; exact reduced spectra ({'real' if self.symmetric else 'complex'})",
            "",
            f"{'mu':>4}  {'max Re':>11}  {'max |Im|':>9}  {'verdict':<10}  {'residual':>9}",
        ]
        for m in self.memories:
            imag = float(np.max(np.abs(np.imag(m.eigenvalues)))) if m.eigenvalues.size else 0.0
            lines.append(
                f"{m.index:>4}  {m.max_real:>11.5g}  {imag:>9.3g}  {m.verdict.name.lower():<10}  {m.residual:>9.2g}"
            )
        lines += ["", f"note: {self.note}."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"GeneralLocalStability(n_units={self.n_units}, n_patterns={self.n_patterns}, symmetric={self.symmetric}, "
            f"n_stable={self.n_stable})"
        )


def general_local_stability(network: MemoryNetwork, *, at: str = "equilibrium") -> GeneralLocalStability:
    """Exact local stability of every memory of a projection-rule design.

    The memories are exact equilibria by construction (``W x̄ = h̄``), so the equilibrium and the
    designed memory coincide (the residual is reported); both values of `at` linearise there.
    Cost O(k m^2 + m^3) per memory on k row types.

    Parameters
    ----------
    network : MemoryNetwork
    at : {"equilibrium", "ideal"}, default "equilibrium"

    Returns
    -------
    GeneralLocalStability

    Examples
    --------
    >>> import assocrate as aa
    >>> xi = aa.random_patterns(200, 5, 0.2, seed=1)
    >>> result = general_local_stability(aa.design(xi, aa.Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection"))
    >>> result.n_stable
    5
    """
    network = check_network(network)
    check_choice("at", at, POINTS)
    memories = range(network.n_patterns)
    points = projection_points(network, list(memories))
    return GeneralLocalStability(network.n_units, network.n_patterns, network.tau, network.is_symmetric,
                                 tuple(point_stability(network, mu, point) for mu, point in zip(memories, points)))


def projection_points(network: MemoryNetwork, memories: list[int]) -> list[MemoryPoint]:
    """The linearisation point of each memory in `memories` of a projection-rule design, on row types.

    The designed memory itself: ``W x̄ = h̄`` holds by construction (theory.md §3), so it is the
    equilibrium (its float residual ``max |W x̄ - h̄|`` is recorded) and belongs to its memory.
    ``rows`` are the rows of L, ``right`` those of R (None when W is symmetric). O(N P^2).
    """
    L, R, counts, rows = _type_factors(network)
    d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
    residuals = np.atleast_1d(equilibrium_residual(network))
    points = []
    for mu in memories:
        slopes = np.where(rows[:, mu], d_b, d_a)
        points.append(MemoryPoint(L, counts.astype(np.int64), slopes, float(slopes.max()), float(residuals[mu]),
                                  "exact design", 0.0, mu, None if network.is_symmetric else R))
    return points


def point_stability(network: MemoryNetwork, mu: int, point: MemoryPoint) -> GeneralMemoryStability:
    """The exact reduced spectrum and verdict at `point` (from :func:`projection_points`), O(k m^2 + m^3)."""
    R = point.rows if point.right is None else point.right
    reduced = _reduced(network, point.rows, R, point.slopes * point.counts)
    tau = network.tau
    values = (-1.0 + reduced) / tau
    bulk = -1.0 / tau if reduced.size < network.n_units else -np.inf
    max_real = max(float(np.max(np.real(values))) if values.size else -np.inf, bulk)
    scale = max(1.0, float(np.max(np.abs(reduced))) if reduced.size else 1.0)
    verdict = verdict_from(max_real, VERDICT_RTOL * scale / tau)
    return GeneralMemoryStability(mu, _readonly(np.asarray(values)), max_real, verdict, point.residual)
