"""Dale's-law realization of a designed network: excitatory units plus linear inhibitory units (theory.md §6).

The designed matrix ``W = L C R^T`` mixes signs. Write it as ``W = W_0 + (g/N) 1 1^T`` with the
design's uniform weight g: ``g = gamma`` and ``W_0 = W_cov`` for the betteti rule, ``g = 0`` and
``W_0 = W`` for the projection rule (symmetric or not). The Dale realization keeps the N designed
units as excitatory units x and adds ``N_I >= 1`` identical linear inhibitory units r:

    tau   x' = -x + Phi(W_EE x - w_EI 1 rbar + u),      rbar = mean(r)
    tau_I r' = -r + mean(x) 1

    W_EE = W_0 + (c/N) 1 1^T >= 0,   c = max(0, -N min_ij (W_0)_ij),   w_EI = c - g >= 0

so ``W_EE = W + (w_EI/N) 1 1^T``. Every E->E weight is >= 0, every E->I weight is ``1/N`` and every
I->E weight is ``-w_EI/N_I``. At an equilibrium ``r = mean(x) 1``, so the excitatory units see
``W x``: the equilibria are those of the designed network, unchanged. Their stability is not: the
augmented Jacobian is not symmetric, and slow inhibition (large ``tau_I``) can destabilize a
memory that is stable in the designed network. Everything goes through low-rank factors,
``W_EE = L_EE diag(c_EE) R_EE^T`` (the design's U with its last entry of C replaced for the
betteti rule, ``[L, 1]``, ``[R, 1]`` otherwise): the shift c is a minimum over pairs of pattern
*row types* (W is constant on row-type blocks), spectra reduce to a ``(m + 1)``-square
eigenproblem, and the vector field costs O(N P) per state.
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
from ..core.lowrank import lowrank_matvec
from ..errors import InvalidInput, InvalidType

__all__ = ["DaleBlocks", "DaleNetwork", "DaleSigns", "check_dale", "dale_realization", "realizes", "uniform_weight"]

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


class _TypeWeights(NamedTuple):
    """Extremes of the type-to-type weights ``L_s diag(c) R_t^T`` over all ordered pairs of row types."""

    min: float
    argmin: tuple[int, int]
    max: float
    magnitude: float  # max_{s,t} sum_k |L_sk c_k R_tk|, for the rounding bound


def _type_weight_extremes(L: np.ndarray, c: np.ndarray, R: np.ndarray) -> _TypeWeights:
    """Smallest (with a pair attaining it) and largest entry of ``L diag(c) R^T`` (k x k, by blocks of rows).

    Used for any ``W = L C R^T`` whose rows of L and R depend only on the pattern row (so W is
    constant on row-type blocks): `L` and `R` are their rows at the type representatives.
    O(k^2 m), with at most ``_OVERLAP_BLOCK_ENTRIES`` weights held at once.
    """
    block = max(1, _OVERLAP_BLOCK_ENTRIES // max(1, R.shape[0]))
    low, high, magnitude, where = math.inf, -math.inf, 0.0, (0, 0)
    absolute = np.abs(R).T
    for start in range(0, L.shape[0], block):
        rows = L[start : start + block]
        weights = (rows * c) @ R.T
        i, j = divmod(int(np.argmin(weights)), weights.shape[1])
        if weights[i, j] < low:
            low, where = float(weights[i, j]), (start + i, j)
        high = max(high, float(weights.max()))
        magnitude = max(magnitude, float(((np.abs(rows) * np.abs(c)) @ absolute).max()))
    return _TypeWeights(low, where, high, magnitude)


def _type_weight_extremes_of(network: MemoryNetwork) -> _TypeWeights:
    """:func:`_type_weight_extremes` of the design's W at its row-type representatives."""
    reps = network.type_representatives
    return _type_weight_extremes(network.L[reps], network.c, network.R[reps])


def uniform_weight(network: MemoryNetwork) -> float:
    """g in ``W = W_0 + (g/N) 1 1^T``: the betteti rule's gamma (``W_0 = W_cov``), 0 for other rules (``W_0 = W``).

    The Dale realization shifts ``W_0`` (theory.md §6); its inhibition is ``w_EI = c - g``.
    """
    return network.gamma if network.rule == "betteti" else 0.0


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
        c was chosen), or positive when ``W_0`` (W_cov, or W for the projection rule) has no
        negative entry.
    W_IE : float
        Every E->I weight, ``1/N`` (> 0).
    W_EI : float
        Every I->E weight, ``-w_EI/N_I`` (<= 0).
    tolerance : float
        Rounding band for the signs. Betteti rule: ``(P + 2) eps (alpha' P + c) / N``: an entry of
        W_EE is a sum of P products of size at most ``alpha'/N`` plus ``c/N``, and a dot product of
        P + 1 terms carries at most ``(P + 1) eps`` times the sum of their magnitudes (Higham's
        bound), by any summation order (the row-type route here or a dense BLAS product). Other
        rules: ``(m + 2) eps (max_ij sum_k |L_ik c_k R_jk| + c/N)`` for the m + 1 terms of an entry.
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
        The uniform excitatory shift, ``W_EE = W_0 + (c/N) 1 1^T`` (``W_0 = W_cov`` for the betteti
        rule, ``W_0 = W`` otherwise: see :func:`uniform_weight`).
    min_covariance : float
        ``min_ij (W_0)_ij`` (so ``c = max(0, -N min_covariance)``): the smallest entry of W_cov for
        the betteti rule, of W itself otherwise.
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
        if c < uniform_weight(self.network):
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
        """Total inhibitory weight ``c - g >= 0`` (g = gamma for the betteti rule, else 0; each I->E synapse is ``-w_EI / N_I``)."""
        return self.c - uniform_weight(self.network)

    @property
    def is_symmetric(self) -> bool:
        """Whether ``W_EE`` is symmetric (``R_EE is L_EE``): whenever the design's W is."""
        return self.network.is_symmetric

    @cached_property
    def c_EE(self) -> np.ndarray:
        """Diagonal of ``C_EE``, ``W_EE = L_EE diag(c_EE) R_EE^T``: the design's ``c1`` with its last entry g/N replaced by c/N.

        (``c1`` of :attr:`MemoryNetwork.augmented_factors <assocrate.core.design.MemoryNetwork.augmented_factors>`:
        the betteti rule's C, or the projection rule's c with 0 appended.)
        """
        c_EE = np.array(self.network.augmented_factors[1])
        c_EE[-1] = self.c / self.n_units
        return _readonly(c_EE)

    @property
    def L_EE(self) -> np.ndarray:
        """Left factor of ``W_EE`` (N x (P + 1)), last column all ones: U (betteti rule) or ``[L, 1]``."""
        return self.network.augmented_factors[0]

    @property
    def R_EE(self) -> np.ndarray:
        """Right factor of ``W_EE``, last column all ones: ``L_EE`` itself when W is symmetric, else ``[R, 1]``."""
        return self.network.augmented_factors[2]

    def excitatory_matvec(self, x: np.ndarray) -> np.ndarray:
        """``W_EE x`` through the factors, for x of shape (N,) or (N, B), O(N m) per column."""
        return lowrank_matvec(self.L_EE, self.c_EE, x, right=None if self.is_symmetric else self.R_EE)

    def memory_states(self) -> np.ndarray:
        """The designed memories as states of the augmented system, shape (N + N_I, P).

        Rates ``x^mu = phi(a) + (phi(b) - phi(a)) xi^mu`` on top, ``r = mean(x^mu)`` below.
        """
        rates = self.network.memory_rates()
        return np.vstack([rates, np.broadcast_to(rates.mean(axis=0), (self.n_inhibitory, rates.shape[1]))])

    @cached_property
    def _weight_extremes(self) -> _TypeWeights:
        """Extremes of W over pairs of row types (rules other than betteti), computed once: O(k^2 P)."""
        return _type_weight_extremes_of(self.network)

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
        eps, shift = np.finfo(float).eps, self.c / self.n_units
        if network.rule == "betteti":
            shifted = network.row_types.rows - network.beta
            largest = float(np.max(np.einsum("ij,ij->i", shifted, shifted)))
            scale = network.alpha_prime / self.n_units
            max_W_EE = scale * largest + shift  # a Gram matrix peaks on its diagonal
            tolerance = (network.n_patterns + 2) * eps * (network.alpha_prime * network.n_patterns + self.c) / self.n_units
        else:
            extremes = self._weight_extremes
            max_W_EE = extremes.max + shift
            tolerance = (self.c_EE.size + 1) * eps * (extremes.magnitude + shift)
        return DaleSigns(
            min_W_EE=self.min_covariance + shift,
            max_W_EE=max_W_EE,
            W_IE=1.0 / self.n_units,
            W_EI=-self.w_EI / self.n_inhibitory,
            tolerance=tolerance,
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
        return DaleBlocks(
            EE=(self.L_EE * self.c_EE) @ self.R_EE.T,
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
        betteti = self.network.rule == "betteti"
        inhibition = (
            f"w_EI = c - gamma = {self.w_EI:.6g} (gamma = {self.network.gamma:.6g})"
            if betteti
            else f"w_EI = c = {self.w_EI:.6g} ({'' if self.is_symmetric else 'non-'}symmetric W = L C R^T)"
        )
        return "\n".join(
            [
                f"DaleNetwork: N={self.n_units} excitatory + N_I={self.n_inhibitory} linear inhibitory units, "
                f"tau={self.tau:g}, tau_I={self.tau_inhibitory:g}",
                f"  shift       c = {self.c:.6g} (min_ij {'W_cov' if betteti else 'W'} = {self.min_covariance:.6g} "
                f"at units ({i}, {j}))",
                f"  inhibition  {inhibition}",
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
        The designed network: the betteti rule's ``W = W_cov + (gamma/N) 1 1^T`` with
        ``W_cov = (alpha'/N)(Xi - beta)(Xi - beta)^T``, or any projection-rule ``W = L C R^T``
        (symmetric or not).
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
        For an invalid argument, or (betteti rule) when ``gamma > c``: then ``w_EI = c - gamma < 0``
        and this construction cannot realize the network. That happens only for gamma > 0, e.g. the
        positive-gamma reference design (a = 0.1: gamma = 1.2525 > c = 0.8669); there W itself is
        entrywise positive and needs no inhibitory units. For gamma <= 0, ``w_EI >= |gamma|``.
        Other rules have g = 0, so ``w_EI = c >= 0`` always.

    Notes
    -----
    Other rules (theory.md §6): the rows of L and R depend only on the unit's pattern row, so W is
    constant on row-type blocks and ``min_ij W_ij`` is the minimum of the k x k type-to-type
    weights ``L_s diag(c) R_t^T`` (O(k^2 P), by blocks of rows); ``c = max(0, -N min_ij W_ij)``,
    ``w_EI = c`` and ``W_EE = [L, 1] diag(c, c/N) [R, 1]^T``.

    Betteti rule: ``min_ij (W_cov)_ij = (alpha'/N) min_{s,t} u_s·u_t`` over the k row types of the patterns
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
    n_inhibitory = check_positive_int("n_inhibitory", n_inhibitory)
    tau_inhibitory = network.tau if tau_inhibitory is None else check_positive("tau_inhibitory", tau_inhibitory)
    types = network.row_types
    if network.rule == "betteti":
        product, s, t = _min_pair_product(types.rows, network.beta)
        min_covariance = network.alpha_prime / network.n_units * product
        c = max(0.0, -network.alpha_prime * product)
        if c < network.gamma:
            raise _impossible(network.gamma, c)
    else:  # W_0 = W: its smallest entry over pairs of row types
        extremes = _type_weight_extremes_of(network)
        min_covariance, (s, t) = extremes.min, extremes.argmin
        c = max(0.0, -network.n_units * min_covariance)
    first_unit = np.argmax(types.index[:, None] == np.array([s, t])[None, :], axis=0)
    return DaleNetwork(
        network=network,
        n_inhibitory=n_inhibitory,
        tau_inhibitory=tau_inhibitory,
        c=c,
        min_covariance=min_covariance,
        min_pair=(int(first_unit[0]), int(first_unit[1])),
    )


def realizes(dale: DaleNetwork, network: MemoryNetwork) -> bool:
    """Whether `dale` is a realization of `network` (the same object, or equal factors and C)."""
    ours = dale.network
    if ours is network:
        return True
    return (
        ours.n_units == network.n_units
        and ours.is_symmetric == network.is_symmetric
        and np.array_equal(ours.L, network.L)
        and np.array_equal(ours.R, network.R)
        and np.array_equal(ours.c, network.c)
    )


def check_dale(dale: object) -> DaleNetwork:
    """Return `dale` if it is a :class:`DaleNetwork`, else raise naming the argument."""
    if not isinstance(dale, DaleNetwork):
        raise InvalidType(f"`dale` must be a DaleNetwork (see dale_realization); got {type(dale).__name__}")
    return dale
