"""Dale's-law realization of a designed network: excitatory units plus linear inhibitory units (theory.md §6).

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
from typing import NamedTuple

import numpy as np

from .._summary import Summarized
from .._validation import check_finite_float, check_positive, check_positive_int
from .._validation import readonly as _readonly
from ..core.design import DENSE_LIMIT, MemoryNetwork, check_network
from ..errors import InvalidInput, InvalidType

__all__ = ["DaleBlocks", "DaleNetwork", "DaleSigns", "check_dale", "dale_realization"]

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
        "realization of theory.md §6 needs gamma <= c (it always holds for gamma <= 0). Here W itself is "
        "entrywise positive (min W = (gamma - c)/N > 0): the network needs no inhibitory units"
    )


@dataclass(frozen=True, repr=False)
class DaleNetwork(Summarized):
    """A Dale's-law realization of a :class:`~assocrate.core.design.MemoryNetwork` (theory.md §6).

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
        >>> import assocrate as aa
        >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
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
    """Realize a designed network with excitatory units and linear inhibitory units (theory.md §6).

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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> dale = dale_realization(net, tau_inhibitory=2.0)
    >>> dale
    DaleNetwork(n_units=1000, n_inhibitory=1, tau=1, tau_inhibitory=2, c=1.25002, w_EI=1.50001)
    """
    network = check_network(network)
    if network.rule != "betteti":
        raise InvalidInput(
            "dale_realization (theory.md §6) is built on the betteti rule's W = W_cov + (gamma/N) 1 1^T; "
            f"got rule={network.rule!r}, whose W = L C R^T has no such split (not implemented)"
        )
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


def check_dale(dale: object) -> DaleNetwork:
    """Return `dale` if it is a :class:`DaleNetwork`, else raise naming the argument."""
    if not isinstance(dale, DaleNetwork):
        raise InvalidType(f"`dale` must be a DaleNetwork (see dale_realization); got {type(dale).__name__}")
    return dale
