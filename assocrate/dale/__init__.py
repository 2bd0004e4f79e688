"""Dale's-law realization of a designed network: excitatory units plus linear inhibitory units (DESIGN.md §6).

The designed matrix ``W = W_cov + (gamma/N) 1 1^T`` mixes signs. Its Dale realization keeps the N
designed units as excitatory units x and adds ``N_I >= 1`` identical linear inhibitory units r:

    tau   x' = -x + Phi(W_EE x - w_EI 1 rbar + u),      rbar = mean(r)
    tau_I r' = -r + mean(x) 1

    W_EE = W_cov + (c/N) 1 1^T >= 0,   c = -N min_ij (W_cov)_ij,   w_EI = c - gamma >= 0

Every E->E weight is >= 0, every E->I weight is ``1/N`` and every I->E weight is ``-w_EI/N_I``. At
an equilibrium ``r = mean(x) 1``, so the excitatory units see ``W x``: the equilibria are those of
the designed network, unchanged. Their stability is not: the augmented Jacobian is not
symmetric, and slow inhibition (large ``tau_I``) can destabilize a memory that is stable in the
designed network. Everything here goes through the low-rank factors ``U``, ``C`` of the design:
the shift c is a minimum over pairs of pattern *row types*, spectra reduce to a
``(rank + 1)``-square eigenproblem, and the vector field costs O(N P) per state.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import scipy.linalg

from .._validation import (
    check_choice,
    check_finite_float,
    check_index,
    check_positive,
    check_positive_int,
    check_t_span,
)
from .._validation import readonly as _readonly
from ..core.design import DENSE_LIMIT, MemoryNetwork, check_network
from ..core.lowrank import lowrank_matvec
from ..dynamics import SimulationResult, SimulationStatus, integrate_to_steady
from ..errors import InvalidInput, InvalidType

if TYPE_CHECKING:  # stability.local imports cvxpy and flint (seconds): imported lazily where used
    from ..stability.local import JacobianSpectrum, Verdict

__all__ = [
    "DaleBlocks",
    "DaleNetwork",
    "DaleSigns",
    "DaleSimulation",
    "DaleSpectrum",
    "DaleStability",
    "dale_realization",
    "dale_spectrum",
    "dale_stability",
    "dale_vector_field",
    "simulate_dale",
]

Point = Literal["equilibrium", "ideal"]
_POINTS = ("equilibrium", "ideal")

# Rows of one class of row types multiplied at once when searching the smallest overlap
# (block x class entries of float32 stay in a few MB).
_OVERLAP_BLOCK_ENTRIES = 1 << 22


# ----------------------------------------------------------------------------------------------
# The shift c: the smallest entry of W_cov over pairs of row types
# ----------------------------------------------------------------------------------------------


def _min_pair_product(rows: np.ndarray, beta: float) -> tuple[float, int, int]:
    """``min_{s,t} (rows_s - beta)·(rows_t - beta)`` over all ordered pairs of rows, and an argmin.

    Parameters
    ----------
    rows : numpy.ndarray of bool, shape (k, P)
        Distinct pattern rows (row types); the pair ``s = t`` is included (a diagonal entry, or two
        units of the same type).
    beta : float
        The design's cross-talk offset.

    Returns
    -------
    value, s, t : float, int, int

    Notes
    -----
    With ``n_s = |rows_s|`` and the overlap ``o_st = |rows_s ∧ rows_t|``,
    ``(rows_s - beta)·(rows_t - beta) = o_st - beta (n_s + n_t) + P beta^2``. Within a pair of
    *classes* (all rows with ``n_s = n``, all with ``n_t = n'``) only the smallest overlap matters,
    and ``o_st >= max(0, n + n' - P)`` bounds every pair of the two classes from below. Class pairs
    are visited in increasing order of that bound and the search stops when the bound reaches the
    best value found, so it is exact. Overlaps are integer GEMMs in float32 (exact: every partial
    sum is an integer <= P < 2**24), by blocks, each class pair stopping early at its bound.
    The worst case is the full k x k product, O(k^2 P).
    """
    k, n_patterns = rows.shape
    ones = rows.sum(axis=1).astype(np.int64)
    levels = np.unique(ones)
    members = {int(n): np.flatnonzero(ones == n) for n in levels}
    rows32 = rows.astype(np.float32)
    offset = n_patterns * beta * beta

    def value(overlap: int, n: int, n2: int) -> float:  # the same float formula for bounds and values
        return overlap - beta * (n + n2) + offset

    pairs = sorted(
        (value(max(0, n + n2 - n_patterns), n, n2), n, n2)
        for i, n in enumerate(levels.tolist())
        for n2 in levels[i:].tolist()
    )
    best, best_s, best_t = math.inf, -1, -1
    for bound, n, n2 in pairs:
        if bound >= best:  # value() is nondecreasing in the overlap: no later class pair can do better
            break
        floor = max(0, n + n2 - n_patterns)
        overlap, i, j = _min_overlap(rows32[members[n]], rows32[members[n2]], floor)
        candidate = value(overlap, n, n2)
        if candidate < best:
            best, best_s, best_t = candidate, int(members[n][i]), int(members[n2][j])
    return float(best), best_s, best_t


def _min_overlap(A: np.ndarray, B: np.ndarray, floor: int) -> tuple[int, int, int]:
    """Smallest entry of ``A B^T`` (0/1 float32 rows) and its position, stopping once it equals `floor`."""
    block = max(1, _OVERLAP_BLOCK_ENTRIES // max(1, B.shape[0]))
    best, best_i, best_j = math.inf, 0, 0
    for start in range(0, A.shape[0], block):
        overlaps = A[start : start + block] @ B.T
        flat = int(np.argmin(overlaps))
        i, j = divmod(flat, overlaps.shape[1])
        if overlaps[i, j] < best:
            best, best_i, best_j = float(overlaps[i, j]), start + i, j
            if best <= floor:
                break
    return int(best), best_i, best_j


# ----------------------------------------------------------------------------------------------
# The realization
# ----------------------------------------------------------------------------------------------


class DaleBlocks(NamedTuple):
    """The four dense weight blocks of a Dale realization (rows receive, columns send).

    ``EE`` (N x N) >= 0, ``EI`` (N x N_I) <= 0 (inhibitory to excitatory), ``IE`` (N_I x N) >= 0
    (excitatory to inhibitory), ``II`` (N_I x N_I) = 0. ``numpy.block([[EE, EI], [IE, II]])`` is the
    augmented weight matrix.
    """

    EE: np.ndarray
    EI: np.ndarray
    IE: np.ndarray
    II: np.ndarray


@dataclass(frozen=True)
class DaleSigns:
    """The sign structure of a Dale realization, as numbers.

    Attributes
    ----------
    min_W_EE, max_W_EE : float
        Smallest and largest E->E weight. The smallest is 0 up to rounding (it is where the shift
        c was chosen), or positive when W_cov has no negative entry.
    W_IE : float
        Every E->I weight, ``1/N`` (> 0).
    W_EI : float
        Every I->E weight, ``-w_EI/N_I`` (<= 0).
    tolerance : float
        Rounding band for the signs, ``(P + 2) eps (alpha' P + c) / N``: an entry of W_EE is a sum
        of P products of size at most ``alpha'/N`` plus ``c/N``, and a dot product of P + 1 terms
        carries at most ``(P + 1) eps`` times the sum of their magnitudes (Higham's bound), by any
        summation order (the row-type route here or a dense BLAS product).
    """

    min_W_EE: float
    max_W_EE: float
    W_IE: float
    W_EI: float
    tolerance: float

    @property
    def obeys_dale(self) -> bool:
        """E->E >= 0 (up to :attr:`tolerance`; exact zeros allowed), E->I >= 0 and I->E <= 0."""
        return self.min_W_EE >= -self.tolerance and self.W_IE >= 0.0 and self.W_EI <= 0.0

    def summary(self) -> str:
        """Sign of every block and the verdict."""
        return "\n".join(
            [
                f"E->E  in [{self.min_W_EE:.6g}, {self.max_W_EE:.6g}] (>= 0 up to {self.tolerance:.2g})",
                f"E->I  {self.W_IE:.6g} each (>= 0)",
                f"I->E  {self.W_EI:.6g} each (<= 0)",
                f"Dale's law: {'obeyed' if self.obeys_dale else 'VIOLATED'}",
            ]
        )


def _impossible(gamma: float, c: float) -> InvalidInput:
    return InvalidInput(
        f"`network` has gamma={gamma!r} > c={c!r} = -N min_ij (W_cov)_ij, so w_EI = c - gamma < 0: the Dale "
        "realization of DESIGN.md §6 needs gamma <= c (it always holds for gamma <= 0). Here W itself is "
        "entrywise positive (min W = (gamma - c)/N > 0): the network needs no inhibitory units"
    )


@dataclass(frozen=True, repr=False)
class DaleNetwork:
    """A Dale's-law realization of a :class:`~assocrate.core.design.MemoryNetwork` (DESIGN.md §6).

    Build it with :func:`dale_realization`.

    Attributes
    ----------
    network : MemoryNetwork
        The designed network; its N units become the excitatory units.
    n_inhibitory : int
        N_I >= 1 identical linear inhibitory units.
    tau_inhibitory : float
        tau_I > 0, their time constant.
    c : float
        The uniform excitatory shift, ``W_EE = W_cov + (c/N) 1 1^T``.
    min_covariance : float
        ``min_ij (W_cov)_ij`` (so ``c = max(0, -N min_covariance)``).
    min_pair : tuple of int
        Units ``(i, j)`` where the minimum is attained (``(W_EE)_ij = min_W_EE``).
    """

    network: MemoryNetwork
    n_inhibitory: int
    tau_inhibitory: float
    c: float
    min_covariance: float
    min_pair: tuple[int, int]

    def __post_init__(self) -> None:
        check_network(self.network)
        object.__setattr__(self, "n_inhibitory", check_positive_int("n_inhibitory", self.n_inhibitory))
        object.__setattr__(self, "tau_inhibitory", check_positive("tau_inhibitory", self.tau_inhibitory))
        c = check_finite_float("c", self.c)
        if c < 0:
            raise InvalidInput(f"`c` must be >= 0; got {c!r}")
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "min_covariance", check_finite_float("min_covariance", self.min_covariance))
        if c < self.network.gamma:
            raise _impossible(self.network.gamma, c)

    @property
    def n_units(self) -> int:
        """N, the excitatory units."""
        return self.network.n_units

    @property
    def tau(self) -> float:
        """tau of the excitatory units (the design's)."""
        return self.network.tau

    @property
    def w_EI(self) -> float:
        """Total inhibitory weight ``c - gamma >= 0`` (each I->E synapse is ``-w_EI / N_I``)."""
        return self.c - self.network.gamma

    @cached_property
    def c_EE(self) -> np.ndarray:
        """Diagonal of ``C_EE``: ``W_EE = U diag(c_EE) U^T`` (the last entry gamma/N becomes c/N)."""
        c_EE = np.array(self.network.c)
        c_EE[-1] = self.c / self.n_units
        return _readonly(c_EE)

    def memory_states(self) -> np.ndarray:
        """The designed memories as states of the augmented system, shape (N + N_I, P).

        Rates ``x^mu = phi(a) + (phi(b) - phi(a)) xi^mu`` on top, ``r = mean(x^mu)`` below.
        """
        rates = self.network.memory_rates()
        return np.vstack([rates, np.broadcast_to(rates.mean(axis=0), (self.n_inhibitory, rates.shape[1]))])

    def signs(self) -> DaleSigns:
        """The sign of every weight block, from the row types (no N x N matrix).

        Examples
        --------
        >>> from assocrate.core.activations import Sigmoid
        >>> from assocrate.core.design import design
        >>> from assocrate.core.patterns import equal_overlap_patterns
        >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> dale_realization(net).signs().obeys_dale
        True
        """
        network = self.network
        shifted = network.row_types.rows - network.beta
        largest = float(np.max(np.einsum("ij,ij->i", shifted, shifted)))
        scale = network.alpha_prime / self.n_units
        return DaleSigns(
            min_W_EE=self.min_covariance + self.c / self.n_units,
            max_W_EE=scale * largest + self.c / self.n_units,  # a Gram matrix peaks on its diagonal
            W_IE=1.0 / self.n_units,
            W_EI=-self.w_EI / self.n_inhibitory,
            tolerance=(network.n_patterns + 2)
            * np.finfo(float).eps
            * (network.alpha_prime * network.n_patterns + self.c)
            / self.n_units,
        )

    def dense_blocks(self, *, force: bool = False) -> DaleBlocks:
        """The dense weight blocks (for small N and for tests).

        Raises
        ------
        ValueError
            If N > :data:`assocrate.core.design.DENSE_LIMIT` and not `force`.
        """
        N, N_I = self.n_units, self.n_inhibitory
        if N > DENSE_LIMIT and not force:
            raise InvalidInput(f"dense W_EE would be {N} x {N}; N must be <= {DENSE_LIMIT} unless force=True")
        U = self.network.U
        return DaleBlocks(
            EE=(U * self.c_EE) @ U.T,
            EI=np.full((N, N_I), -self.w_EI / N_I),
            IE=np.full((N_I, N), 1.0 / N),
            II=np.zeros((N_I, N_I)),
        )

    def with_tau_inhibitory(self, tau_inhibitory: float) -> DaleNetwork:
        """The same realization with another inhibitory time constant (c is not recomputed)."""
        return dataclasses.replace(self, tau_inhibitory=tau_inhibitory)

    def summary(self) -> str:
        """The populations, the shift and the sign of every block."""
        signs = self.signs()
        i, j = self.min_pair
        return "\n".join(
            [
                f"DaleNetwork: N={self.n_units} excitatory + N_I={self.n_inhibitory} linear inhibitory units, "
                f"tau={self.tau:g}, tau_I={self.tau_inhibitory:g}",
                f"  shift       c = {self.c:.6g} (min_ij W_cov = {self.min_covariance:.6g} at units ({i}, {j}))",
                f"  inhibition  w_EI = c - gamma = {self.w_EI:.6g} (gamma = {self.network.gamma:.6g})",
                *("  " + line for line in signs.summary().splitlines()),
                f"  designed    {self.network!r}",
            ]
        )

    def __repr__(self) -> str:
        return (
            f"DaleNetwork(n_units={self.n_units}, n_inhibitory={self.n_inhibitory}, tau={self.tau:g}, "
            f"tau_inhibitory={self.tau_inhibitory:g}, c={self.c:.6g}, w_EI={self.w_EI:.6g})"
        )


def dale_realization(
    network: MemoryNetwork, *, n_inhibitory: int = 1, tau_inhibitory: float | None = None
) -> DaleNetwork:
    """Realize a designed network with excitatory units and linear inhibitory units (DESIGN.md §6).

    Parameters
    ----------
    network : MemoryNetwork
        The designed network, ``W = W_cov + (gamma/N) 1 1^T`` with
        ``W_cov = (alpha'/N)(Xi - beta)(Xi - beta)^T``.
    n_inhibitory : int, default 1
        N_I >= 1. The inhibitory units are identical, so N_I changes only the multiplicity of
        their internal mode ``-1/tau_I`` and the size of each I->E synapse (``-w_EI/N_I``).
    tau_inhibitory : float, optional
        tau_I > 0; the design's tau when omitted.

    Returns
    -------
    DaleNetwork

    Raises
    ------
    ValueError
        For an invalid argument, or when ``gamma > c``: then ``w_EI = c - gamma < 0`` and this
        construction cannot realize the network. That happens only for gamma > 0, e.g. the
        positive-gamma reference design (a = 0.1: gamma = 1.2525 > c = 0.8669); there W itself is
        entrywise positive and needs no inhibitory units. For gamma <= 0, ``w_EI >= |gamma|``.

    Notes
    -----
    ``min_ij (W_cov)_ij = (alpha'/N) min_{s,t} u_s·u_t`` over the k row types of the patterns
    (``u_s = xi_s - beta``), found exactly in O(k^2 P) at worst and in much less with the
    class-pair bound described in :func:`_min_pair_product`; W_cov is never formed. The shift is
    ``c = -N min_ij (W_cov)_ij`` whenever W_cov has a negative entry; if none is negative no shift is
    needed and ``c = 0``. When every pattern has exactly ``beta N`` active units (the designs with
    ``r = q``) the ``u_s`` of all units sum to 0, so the entries of W_cov sum to 0 while its diagonal
    is positive: some entry is negative and ``c > 0``.
    Only the last entry of C changes, ``gamma/N -> c/N``, so
    ``W_EE = U C_EE U^T`` keeps the factors of the design.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale = dale_realization(net, tau_inhibitory=2.0)
    >>> dale
    DaleNetwork(n_units=1000, n_inhibitory=1, tau=1, tau_inhibitory=2, c=1.25002, w_EI=1.50001)
    """
    network = check_network(network)
    n_inhibitory = check_positive_int("n_inhibitory", n_inhibitory)
    tau_inhibitory = network.tau if tau_inhibitory is None else check_positive("tau_inhibitory", tau_inhibitory)
    types = network.row_types
    product, s, t = _min_pair_product(types.rows, network.beta)
    min_covariance = network.alpha_prime / network.n_units * product
    c = max(0.0, -network.alpha_prime * product)
    if c < network.gamma:
        raise _impossible(network.gamma, c)
    first_unit = np.argmax(types.index[:, None] == np.array([s, t])[None, :], axis=0)
    return DaleNetwork(
        network=network,
        n_inhibitory=n_inhibitory,
        tau_inhibitory=tau_inhibitory,
        c=c,
        min_covariance=min_covariance,
        min_pair=(int(first_unit[0]), int(first_unit[1])),
    )


def _check_dale(dale: object) -> DaleNetwork:
    if not isinstance(dale, DaleNetwork):
        raise InvalidType(f"`dale` must be a DaleNetwork (see dale_realization); got {type(dale).__name__}")
    return dale


# ----------------------------------------------------------------------------------------------
# Spectra of the augmented Jacobian
# ----------------------------------------------------------------------------------------------


def _reduced_dale_eigenvalues(
    gram: np.ndarray, c_EE: np.ndarray, w_EI: float, n_units: int, tau: float, tau_inhibitory: float
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the reduced augmented Jacobian and of its excitatory block.

    Returns ``(eigenvalues, excitatory)``: the ``rank + 1`` eigenvalues (complex) of the arrowhead
    matrix of :func:`dale_spectrum` (Notes) and the ``rank`` eigenvalues lambda of
    ``S_EE = R^T C_EE R`` (the excitatory block is ``(-1 + lambda)/tau``), with ``G = R R^T``.
    """
    m = gram.shape[0]
    w, V = scipy.linalg.eigh(0.5 * (gram + gram.T))
    keep = w > max(float(w[-1]), 0.0) * m * 8 * np.finfo(float).eps  # the rank rule of stability.local
    keep[: max(0, m - n_units)] = False  # rank G <= N: never keep more than N directions
    R = V[:, keep] * np.sqrt(w[keep])
    rank = R.shape[1]
    S_EE = R.T @ (c_EE[:, None] * R)
    excitatory, Q = scipy.linalg.eigh(0.5 * (S_EE + S_EE.T))
    coupling = math.sqrt(w_EI / (n_units * tau * tau_inhibitory)) * (Q.T @ R[-1])  # R[-1] = R^T e_m, U e_m = 1
    arrowhead = np.zeros((rank + 1, rank + 1))
    arrowhead[np.arange(rank), np.arange(rank)] = (excitatory - 1.0) / tau
    arrowhead[:rank, rank] = -coupling
    arrowhead[rank, :rank] = coupling
    arrowhead[rank, rank] = -1.0 / tau_inhibitory
    return scipy.linalg.eigvals(arrowhead), excitatory


def _sorted_complex(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=complex)
    return values[np.lexsort((values.imag, values.real))]


@dataclass(frozen=True, repr=False)
class DaleSpectrum:
    """The exact spectrum of the augmented Jacobian at one memory of a Dale realization.

    Attributes
    ----------
    mu : int
        Memory index.
    at : str
        ``"equilibrium"`` or ``"ideal"``, as in :func:`~assocrate.stability.local.jacobian_spectrum`.
    tau, tau_inhibitory : float
        Time constants of the excitatory and inhibitory units.
    n_units, n_inhibitory : int
        N and N_I.
    values : numpy.ndarray of complex, shape (rank + 3,)
        Eigenvalues sorted by real then imaginary part, with :attr:`multiplicities`: the ``rank + 1``
        reduced ones (each once), ``-1/tau`` (``N - rank`` times) and ``-1/tau_I`` (``N_I - 1``
        times); entries may coincide.
    multiplicities : numpy.ndarray of int
    reduced : numpy.ndarray of complex, shape (rank + 1,)
        The eigenvalues of the reduced problem.
    excitatory : numpy.ndarray, shape (rank,)
        Eigenvalues lambda of ``R^T C_EE R``: with the inhibition frozen (the limit tau_I -> inf)
        the excitatory units have the eigenvalues ``(-1 + lambda)/tau``.
    plain : JacobianSpectrum
        The designed network's spectrum at the same point
        (:func:`~assocrate.stability.local.jacobian_spectrum`; the limit tau_I -> 0).
    tolerance : float
        Half-width of the undecided band: ``VERDICT_RTOL * max(1/tau, 1/tau_I, max |reduced|)``.
    """

    mu: int
    at: str
    tau: float
    tau_inhibitory: float
    n_units: int
    n_inhibitory: int
    values: np.ndarray
    multiplicities: np.ndarray
    reduced: np.ndarray
    excitatory: np.ndarray
    plain: JacobianSpectrum
    tolerance: float

    @property
    def rank(self) -> int:
        """Rank of ``U^T D U``: the reduced problem has ``rank + 1`` eigenvalues."""
        return int(self.excitatory.size)

    @property
    def size(self) -> int:
        """``N + N_I``, the eigenvalues counted with multiplicity."""
        return int(self.multiplicities.sum())

    @property
    def rightmost(self) -> complex:
        """The eigenvalue with the largest real part (of a conjugate pair, the one with imag >= 0)."""
        top = self.values[np.abs(self.values.real - self.max_real) <= self.tolerance]
        return complex(top[np.argmax(top.imag)])

    @property
    def max_real(self) -> float:
        """Spectral abscissa: the largest real part of an eigenvalue."""
        return float(self.values.real.max())

    @property
    def excitatory_max_eigenvalue(self) -> float:
        """Largest eigenvalue of the excitatory block with the inhibition frozen (tau_I -> inf)."""
        # R^T C_EE R is positive semidefinite (C_EE > 0): its largest eigenvalue is >= 0 = that of the bulk
        return (-1.0 + float(self.excitatory.max(initial=0.0))) / self.tau

    @property
    def equilibrium_found(self) -> bool:
        """Whether the spectrum was taken at an equilibrium (as for the designed network)."""
        return self.plain.equilibrium_found

    @property
    def verdict(self) -> Verdict:
        """Stable / unstable / undecided from the sign of :attr:`max_real` (undecided without an equilibrium)."""
        from ..stability.local import Verdict, verdict_from

        if not self.equilibrium_found:
            return Verdict.UNDECIDED
        return verdict_from(self.max_real, self.tolerance)

    @property
    def stable_for_every_tau_inhibitory(self) -> bool:
        """Whether the excitatory block alone is stable, which makes the memory stable for every tau_I > 0.

        Proof in the Notes of :func:`dale_spectrum`: the reduced matrix is then negative definite
        plus skew-symmetric.
        """
        return self.equilibrium_found and self.excitatory_max_eigenvalue < -self.tolerance

    def dense(self) -> np.ndarray:
        """All ``N + N_I`` eigenvalues with repetition, sorted by real then imaginary part (for tests)."""
        return _sorted_complex(np.repeat(self.values, self.multiplicities))

    def summary(self) -> str:
        """Verdict, the rightmost eigenvalues and the two limits tau_I -> 0 and tau_I -> inf."""
        rightmost = self.rightmost
        imag = f" ± {abs(rightmost.imag):.4g}i" if abs(rightmost.imag) > self.tolerance else ""
        listed = ", ".join(f"{v.real:.6g}{v.imag:+.3g}i" if v.imag else f"{v.real:.6g}" for v in self.reduced[::-1][:6])
        frozen = (
            "stable for every tau_I"
            if self.stable_for_every_tau_inhibitory
            else "not stable alone: slow inhibition can destabilize"
        )
        return "\n".join(
            [
                f"memory {self.mu} ({self.at}) of the Dale realization (N={self.n_units}, N_I={self.n_inhibitory}, "
                f"tau={self.tau:g}, tau_I={self.tau_inhibitory:g}): max Re = {self.max_real:.6g}{imag} -> "
                f"{self.verdict.value}",
                f"  reduced eigenvalues (rightmost first): {listed}" + (" ..." if self.reduced.size > 6 else ""),
                f"  designed network (tau_I -> 0): max eigenvalue {self.plain.max_eigenvalue:.6g} -> "
                f"{self.plain.verdict.value}",
                f"  frozen inhibition (tau_I -> inf): excitatory max eigenvalue {self.excitatory_max_eigenvalue:.6g}"
                f" -> {frozen}",
            ]
        )

    def __repr__(self) -> str:
        return (
            f"DaleSpectrum(mu={self.mu}, at={self.at!r}, tau_inhibitory={self.tau_inhibitory:g}, "
            f"max_real={self.max_real:.6g}, rank={self.rank}, size={self.size}, verdict={self.verdict.name})"
        )


def _spectrum_at_point(dale: DaleNetwork, mu: int, at: str, point, gram: np.ndarray) -> DaleSpectrum:
    """The augmented spectrum at a linearisation point of :mod:`assocrate.stability.local` with ``gram = U^T D U``."""
    from ..core.lowrank import reduced_eigenvalues
    from ..stability.local import VERDICT_RTOL, spectrum_from_reduced

    network = dale.network
    plain = spectrum_from_reduced(network, mu, at, "rate", reduced_eigenvalues(gram, network.c), point)
    tau, tau_I = network.tau, dale.tau_inhibitory
    reduced, excitatory = _reduced_dale_eigenvalues(gram, dale.c_EE, dale.w_EI, network.n_units, tau, tau_I)
    reduced = _sorted_complex(reduced)
    values = np.append(reduced, [-1.0 / tau, -1.0 / tau_I])
    multiplicities = np.append(
        np.ones(reduced.size, dtype=np.int64), [network.n_units - excitatory.size, dale.n_inhibitory - 1]
    )
    order = np.lexsort((values.imag, values.real))
    keep = order[multiplicities[order] > 0]
    return DaleSpectrum(
        mu=mu,
        at=at,
        tau=tau,
        tau_inhibitory=tau_I,
        n_units=network.n_units,
        n_inhibitory=dale.n_inhibitory,
        values=_readonly(values[keep]),
        multiplicities=_readonly(multiplicities[keep]),
        reduced=_readonly(reduced),
        excitatory=_readonly(excitatory),
        plain=plain,
        tolerance=VERDICT_RTOL * max(1.0 / tau, 1.0 / tau_I, float(np.max(np.abs(reduced)))),
    )


def dale_spectrum(dale: DaleNetwork, mu: int, *, at: Point = "equilibrium") -> DaleSpectrum:
    """Exact spectrum of the augmented Jacobian at memory `mu`, in O(N P^2) (O(k P^2) on row types).

    Parameters
    ----------
    dale : DaleNetwork
    mu : int
        Memory index in ``[0, P)``.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        Where the slopes are taken, exactly as in
        :func:`~assocrate.stability.local.jacobian_spectrum`: the equilibria of the realization are
        those of the designed network with ``r = mean(x)``, so its refined equilibrium serves.

    Returns
    -------
    DaleSpectrum

    Notes
    -----
    (derived) At an equilibrium with ``D = diag(phi'(h))`` the Jacobian of DESIGN.md §6 is

        J = [[(-I + D W_EE)/tau,  -(w_EI/N_I) D 1 1^T / tau],
             [1 1^T / (N tau_I),  -I / tau_I              ]]

    (not symmetric). With ``W_EE = U C_EE U^T``, ``U e = 1`` (the last column of U) and the map
    ``T(x, r) = (U^T x, mean(r))``, ``J = Lambda_0 + L T`` with ``Lambda_0 = diag(-I/tau, -I/tau_I)``,
    and Sylvester's determinant identity gives

        det(lambda - J) = (lambda + 1/tau)^(N - m) (lambda + 1/tau_I)^(N_I - 1) det(lambda - M),
        M = [[(-I + G C_EE)/tau, -(w_EI/tau) G e], [e^T/(N tau_I), -1/tau_I]],   G = U^T D U.

    Writing ``G = R R^T`` on its range (rank r; the other ``m - r`` eigenvalues of M are
    ``-1/tau``), M is similar to ``[[(-I + S_EE)/tau, -(w_EI/tau) v], [v^T/(N tau_I), -1/tau_I]]``
    with ``S_EE = R^T C_EE R`` symmetric and ``v = R^T e``. In the eigenbasis of S_EE and with the
    inhibitory coordinate rescaled by ``sqrt(tau/(N tau_I w_EI))`` this is the arrowhead matrix

        A = [[diag((lambda_i - 1)/tau),  -kappa v~], [kappa v~^T,  -1/tau_I]],
        kappa = sqrt(w_EI/(N tau tau_I)),  v~ = Q^T v,

    a diagonal part plus a skew-symmetric coupling, whose ``r + 1`` eigenvalues are computed by
    LAPACK. Hence ``spec J = spec A ∪ {-1/tau (x N - r)} ∪ {-1/tau_I (x N_I - 1)}``.
    Consequences: ``A + A^T`` is diagonal, so if every ``lambda_i < 1`` (the excitatory block with
    frozen inhibition is stable) then ``V = |z|^2`` decreases and the memory is stable for every
    tau_I (:attr:`DaleSpectrum.stable_for_every_tau_inhibitory`). As tau_I -> 0 the spectrum
    tends to that of the designed network (``S_EE - (w_EI/N) v v^T = R^T C R``) plus one eigenvalue
    near ``-1/tau_I``; as tau_I -> inf, to ``(lambda_i - 1)/tau`` plus one near 0. A memory that is
    stable in the designed network but has some ``lambda_i > 1`` is destabilized by slow enough
    inhibition.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> spectrum = dale_spectrum(dale_realization(net, tau_inhibitory=5.0), 0)
    >>> spectrum.size, spectrum.verdict.value, round(spectrum.max_real, 6)   # the slow inhibitory mode
    (1001, 'stable', -0.200059)
    >>> round(spectrum.plain.max_eigenvalue, 6)   # the designed network at the same memory
    -0.99978
    >>> spectrum.stable_for_every_tau_inhibitory
    True
    """
    from ..stability._linearization import memory_points, point_gram

    dale = _check_dale(dale)
    mu = check_index("mu", mu, dale.network.n_patterns)
    at = check_choice("at", at, _POINTS)
    point = memory_points(dale.network, [mu], at)[0]
    return _spectrum_at_point(dale, mu, at, point, point_gram(point))


@dataclass(frozen=True, repr=False)
class DaleStability:
    """The augmented spectra of every memory of a Dale realization.

    Attributes
    ----------
    spectra : tuple of DaleSpectrum
        One per memory, in order.
    """

    spectra: tuple[DaleSpectrum, ...]

    @property
    def n_stable(self) -> int:
        """Memories whose augmented Jacobian is Hurwitz (verdict stable)."""
        return sum(s.verdict.name == "STABLE" for s in self.spectra)

    @property
    def max_real_parts(self) -> np.ndarray:
        """Spectral abscissa of each memory, shape (P,)."""
        return np.array([s.max_real for s in self.spectra])

    def summary(self) -> str:
        """A table: per memory the augmented, designed and frozen-inhibition verdicts."""
        first = self.spectra[0]
        header = (
            f"{'mu':>4}  {'max Re':>11}  {'Im':>9}  {'verdict':<10}  {'designed':>11}  {'verdict':<10}  "
            f"{'frozen inh.':>11}  {'all tau_I':<9}"
        )
        lines = [
            f"Dale realization ({first.at}, N={first.n_units}, N_I={first.n_inhibitory}, tau={first.tau:g}, "
            f"tau_I={first.tau_inhibitory:g}): {self.n_stable} of {len(self.spectra)} memories stable",
            header,
            "-" * len(header),
        ]
        for s in self.spectra:
            lines.append(
                f"{s.mu:>4}  {s.max_real:>11.5g}  {abs(s.rightmost.imag):>9.3g}  {s.verdict.name.lower():<10}  "
                f"{s.plain.max_eigenvalue:>11.5g}  {s.plain.verdict.name.lower():<10}  "
                f"{s.excitatory_max_eigenvalue:>11.5g}  {'yes' if s.stable_for_every_tau_inhibitory else 'no':<9}"
            )
        lines.append(
            "designed = the network without Dale's law (tau_I -> 0); frozen inh. = excitatory block with the "
            "inhibition frozen (tau_I -> inf); 'all tau_I' = stable for every tau_I (frozen block stable)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"DaleStability(n_patterns={len(self.spectra)}, n_stable={self.n_stable}, "
            f"max_real={self.max_real_parts.max():.6g})"
        )


def dale_stability(dale: DaleNetwork, *, at: Point = "equilibrium") -> DaleStability:
    """The augmented spectrum of every memory (:func:`dale_spectrum` for mu = 0, ..., P - 1).

    Parameters
    ----------
    dale : DaleNetwork
    at : {"equilibrium", "ideal"}, default "equilibrium"

    Returns
    -------
    DaleStability

    Notes
    -----
    At designed memories (exact designs, or ``at="ideal"``) the Gram matrices ``U^T D_mu U`` of
    all memories come together from :mod:`assocrate.stability.local` (two slopes per memory:
    O(k m^2 + q k m^3) for all P); refined equilibria cost a Newton solve and an O(N m^2) Gram each.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale_stability(dale_realization(net, tau_inhibitory=10.0)).n_stable
    6
    """
    from ..stability._linearization import ideal_grams, is_exact_design, memory_points, point_gram

    dale = _check_dale(dale)
    at = check_choice("at", at, _POINTS)
    network = dale.network
    memories = range(network.n_patterns)
    if at == "ideal" or is_exact_design(network):  # every point is a designed memory: all Grams at once
        points, grams = memory_points(network, list(memories), at), ideal_grams(network)
        return DaleStability(tuple(_spectrum_at_point(dale, mu, at, points[mu], grams[mu]) for mu in memories))
    spectra = []
    for mu in memories:  # one refined equilibrium at a time (each holds N slopes)
        point = memory_points(network, [mu], at)[0]
        spectra.append(_spectrum_at_point(dale, mu, at, point, point_gram(point)))
    return DaleStability(tuple(spectra))


# ----------------------------------------------------------------------------------------------
# Dynamics of the augmented system
# ----------------------------------------------------------------------------------------------


def _check_augmented(dale: DaleNetwork, Z: object, name: str) -> np.ndarray:
    size = dale.n_units + dale.n_inhibitory
    array = np.asarray(Z)
    if array.dtype.kind not in "fiub":
        raise InvalidType(f"`{name}` must be a real array; got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.shape[0] != size:
        raise InvalidInput(f"`{name}` must have shape ({size},) or ({size}, B) (N + N_I rows); got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise InvalidInput(f"`{name}` must be finite")
    return array.astype(np.float64, copy=False)


def _check_input(u: object, n_units: int, batch: int | None) -> np.ndarray | float:
    """A constant input as a float or an array broadcastable against (N,) / (N, B) states."""
    if u is None:
        return 0.0
    array = np.asarray(u, dtype=float)
    if not np.all(np.isfinite(array)):
        raise InvalidInput("`u` must be finite")
    if array.ndim == 0:
        return float(array)
    if array.shape == (n_units,):
        return array if batch is None else array[:, None]
    if batch is not None and array.shape == (n_units, batch):
        return array
    allowed = f"({n_units},)" + ("" if batch is None else f" or ({n_units}, {batch})")
    raise InvalidInput(f"`u` must be None, a scalar or have shape {allowed}; got {array.shape}")


def _field(dale: DaleNetwork, Z: np.ndarray, u: np.ndarray | float) -> np.ndarray:
    N = dale.n_units
    x, r = Z[:N], Z[N:]
    H = lowrank_matvec(dale.network.U, dale.c_EE, x)
    H -= dale.w_EI * r.mean(axis=0)
    H += u
    out = np.empty_like(Z)
    out[:N] = (dale.network.activation.phi(H) - x) / dale.tau
    out[N:] = (x.mean(axis=0) - r) / dale.tau_inhibitory
    return out


def dale_vector_field(dale: DaleNetwork, Z: np.ndarray, *, u: float | np.ndarray | None = None) -> np.ndarray:
    """The right-hand side of the augmented system, for one state or a batch, in O(N P) per state.

    Parameters
    ----------
    dale : DaleNetwork
    Z : numpy.ndarray, shape (N + N_I,) or (N + N_I, B)
        Excitatory rates x (first N rows) and inhibitory rates r (last N_I rows).
    u : None, float or numpy.ndarray, optional
        Constant input to the excitatory units: a scalar, (N,) or (N, B).

    Returns
    -------
    numpy.ndarray
        ``[(-x + Phi(W_EE x - w_EI mean(r) + u))/tau ; (-r + mean(x))/tau_I]``, the shape of `Z`.

    Notes
    -----
    ``W_EE x = U (c_EE * (U^T x))`` through the design's factors; no N x N matrix is formed.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale = dale_realization(net, n_inhibitory=3)
    >>> float(np.abs(dale_vector_field(dale, dale.memory_states())).max()) < 1e-12   # memories are equilibria
    True
    """
    dale = _check_dale(dale)
    Z = _check_augmented(dale, Z, "Z")
    return _field(dale, Z, _check_input(u, dale.n_units, Z.shape[1] if Z.ndim == 2 else None))


@dataclass(frozen=True, repr=False)
class DaleSimulation:
    """A trajectory of the augmented system computed by :func:`simulate_dale`.

    Attributes
    ----------
    trajectory : assocrate.dynamics.SimulationResult
        The run as for any rate model: times ``t``, ``states`` of shape (n, N + N_I) or
        (n, N + N_I, B), ``status``, ``t_steady``, solver message and work.
    n_units : int
        N: the first N rows of a state are the excitatory rates, the rest the inhibitory ones.
    """

    trajectory: SimulationResult
    n_units: int

    @property
    def t(self) -> np.ndarray:
        """The solver's accepted step times, shape (n,)."""
        return self.trajectory.t

    @property
    def x(self) -> np.ndarray:
        """Excitatory rates, shape (n, N) or (n, N, B)."""
        return self.trajectory.states[:, : self.n_units]

    @property
    def r(self) -> np.ndarray:
        """Inhibitory rates, shape (n, N_I) or (n, N_I, B)."""
        return self.trajectory.states[:, self.n_units :]

    @property
    def status(self) -> SimulationStatus:
        """How the run ended."""
        return self.trajectory.status

    @property
    def final_x(self) -> np.ndarray:
        """The last excitatory state."""
        return self.x[-1]

    @property
    def final_r(self) -> np.ndarray:
        """The last inhibitory state."""
        return self.r[-1]

    def summary(self) -> str:
        """Status, final time and work."""
        return "Dale realization: " + self.trajectory.summary()

    def __repr__(self) -> str:
        return f"DaleSimulation(n_units={self.n_units}, n_inhibitory={self.r.shape[1]}, trajectory={self.trajectory!r})"


def simulate_dale(
    dale: DaleNetwork,
    x0: np.ndarray,
    t_span: tuple[float, float],
    *,
    r0: float | np.ndarray | None = None,
    u: float | np.ndarray | None = None,
    method: str = "RK45",
    steady_tol: float | None = 1e-6,
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> DaleSimulation:
    """Integrate the augmented system with :func:`scipy.integrate.solve_ivp`, stopping at a steady state.

    Parameters
    ----------
    dale : DaleNetwork
    x0 : numpy.ndarray, shape (N,) or (N, B)
        Initial excitatory rates; a batch is integrated as one system.
    t_span : (float, float)
        Start and end time, ``t_span[1] > t_span[0]``.
    r0 : float or numpy.ndarray, optional
        Initial inhibitory rates, a scalar, (N_I,) or (N_I, B); ``mean(x0)`` (inhibition in
        balance with the cue) when omitted.
    u : None, float or numpy.ndarray, optional
        Constant input to the excitatory units.
    method : str, default "RK45"
        Any :func:`~scipy.integrate.solve_ivp` method (explicit ones suit these non-stiff dynamics).
    steady_tol : float or None, default 1e-6
        Terminal event ``||f||_inf < steady_tol`` over all N + N_I rates; None integrates to the end.
        The inhibitory rows of f are ``(mean(x) - r)/tau_I``: an integration error e in r shows as
        ``e/tau_I``, so with fast inhibition keep `steady_tol` well above ``atol/tau_I``.
    rtol, atol : float, default 1e-8, 1e-10
        Solver tolerances.

    Returns
    -------
    DaleSimulation

    Notes
    -----
    Local stability is not retrieval. The realization has the same equilibria as the designed
    network, but away from them the inhibition lags the excitation by tau_I, and the uniform loop
    gains c and w_EI are large when W_cov has a very negative entry (c = 15.9 for the N = 1000,
    P = 14 random reference network, against |gamma| = 0.25). Measured there: a cue keeping 60 %
    of the active units retrieves its memory for tau_I <= 0.41 tau, while for slower inhibition the
    whole network runs up towards the all-on state before the inhibition catches up and then falls
    to the quiescent state (every memory stays locally stable for every tau_I).

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = simulate_dale(dale_realization(net), 0.8 * net.memory_rates()[:, 0], (0.0, 50.0))
    >>> result.status.name, bool(np.abs(result.final_x - net.memory_rates()[:, 0]).max() < 1e-5)
    ('STEADY', True)
    >>> result.x.shape[1:], result.r.shape[1:]
    ((1000,), (1,))
    """
    dale = _check_dale(dale)
    N, N_I = dale.n_units, dale.n_inhibitory
    x0 = np.asarray(x0)
    if x0.ndim not in (1, 2) or x0.shape[0] != N:
        raise InvalidInput(f"`x0` must have shape ({N},) or ({N}, B); got {x0.shape}")
    batch = x0.shape[1:]
    if r0 is None:
        r0 = np.broadcast_to(np.mean(x0, axis=0), (N_I,) + batch)
    r0 = np.asarray(r0, dtype=float)
    if r0.ndim == 0 or r0.shape == (N_I,):
        r0 = np.broadcast_to(r0.reshape(r0.shape + (1,) * len(batch)), (N_I,) + batch)
    if r0.shape != (N_I,) + batch:
        raise InvalidInput(f"`r0` must be a scalar or have shape {(N_I,) + batch}; got {r0.shape}")
    Z0 = _check_augmented(dale, np.concatenate([x0, r0]), "x0, r0")
    t0, t1 = check_t_span(t_span)
    if steady_tol is not None:
        steady_tol = check_positive("steady_tol", steady_tol)
    u_value = _check_input(u, N, batch[0] if batch else None)
    shape = Z0.shape

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        return _field(dale, y.reshape(shape), u_value).ravel()

    trajectory = integrate_to_steady(rhs, Z0, (t0, t1), method=method, rtol=rtol, atol=atol, steady_tol=steady_tol)
    return DaleSimulation(trajectory, N)
