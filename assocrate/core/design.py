"""The design rules as a low-rank `MemoryNetwork` (theory.md §3).

Rule ``"betteti"`` (Betteti, Baggio, Bullo and Zampieri):
``W = (alpha'/N) (Xi - beta)(Xi - beta)^T + (gamma/N) 1 1^T = U C U^T`` with
``U = [Xi - beta 1, 1]`` and ``C = diag(alpha'/N, ..., alpha'/N, gamma/N)``.
Rule ``"projection"`` (any linearly independent patterns, :mod:`assocrate.core.projection`):
``W = L C R^T`` with N x P factors, symmetric (``R = L``) when all activities are equal.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np

from .._summary import Summarized
from .._validation import check_choice, check_patterns, check_positive
from .._validation import readonly as _readonly
from ..errors import InvalidInput, InvalidType
from .activations import Activation, activation_record
from .lowrank import Spectrum, lowrank_matvec, reduced_spectrum, weighted_gram
from .patterns import RowTypes, pattern_statistics, row_types
from .projection import projection_factors
from .rule import DesignParameters, design_parameters

__all__ = ["DENSE_LIMIT", "MemoryNetwork", "RULES", "design"]

#: The design rules of :func:`design` (theory.md §3): ``"betteti"`` (exact for equal activities
#: and equal pairwise overlaps) and ``"projection"`` (exact for any linearly independent patterns).
RULES = ("betteti", "projection")

_T = TypeVar("_T")

#: Largest N for which :meth:`MemoryNetwork.dense_weights` builds W without ``force=True``.
DENSE_LIMIT = 20000

#: The two forms of the model (theory.md §2): ``tau x' = -x + Phi(W x + u)`` ("rate") and
#: ``tau h' = -h + W Phi(h) + u`` ("current").
FORMS = ("rate", "current")


@dataclass(frozen=True, repr=False)
class MemoryNetwork(Summarized):
    """A firing-rate network ``tau x' = -x + Phi(W x + u)`` storing binary patterns.

    Build it with :func:`design`. W is held as its factors ``W = L C R^T`` with ``C`` diagonal
    (m x m; m = P + 1 for the betteti rule, P for the projection rule); a symmetric W has
    ``R = L`` (stored as ``R=None``) and then ``U = L``. Use :meth:`weights_matvec` for products
    and :meth:`dense_weights` only for small N.

    Attributes
    ----------
    patterns : numpy.ndarray of bool, shape (N, P)
        The stored patterns xi^mu as columns.
    activation : Activation
        The rate function Phi.
    a, b : float
        Current levels of inactive and active units in the rescaled memories.
    q, r : float
        Activity and overlap fraction used by the design.
    parameters : DesignParameters
        alpha, alpha_prime, beta, gamma of the betteti rule at q, r (for the projection rule they
        are not used by W: they are the betteti rule's values on these patterns, for comparison).
    tau : float
        Time constant.
    L : numpy.ndarray, shape (N, m)
        Left factor: ``[Xi - beta, 1]`` (betteti); ``H Q`` (projection, see
        :mod:`assocrate.core.projection`).
    C : numpy.ndarray, shape (m, m)
        Diagonal: ``diag(alpha'/N, ..., alpha'/N, gamma/N)`` (betteti).
    R : numpy.ndarray, shape (N, m), or None
        Right factor; None when W is symmetric (``R = L``).
    rule : {"betteti", "projection"}
        The design rule.
    """

    patterns: np.ndarray
    activation: Activation
    a: float
    b: float
    q: float
    r: float
    parameters: DesignParameters
    tau: float
    L: np.ndarray
    C: np.ndarray
    R_factor: np.ndarray | None = None
    rule: str = "betteti"

    @property
    def is_symmetric(self) -> bool:
        """Whether W is symmetric (``R = L``): always for the betteti rule, for the projection rule
        when all activities are equal (theory.md §3)."""
        return self.R_factor is None

    @property
    def R(self) -> np.ndarray:
        """The right factor of ``W = L C R^T`` (``L`` itself when W is symmetric)."""
        return self.L if self.R_factor is None else self.R_factor

    @property
    def U(self) -> np.ndarray:
        """The factor of the symmetric ``W = U C U^T`` (``= L``).

        Raises
        ------
        InvalidInput
            If W is not symmetric: use `L` and `R`.
        """
        if self.R_factor is not None:
            raise InvalidInput(
                "this network's W = L C R^T is not symmetric (rule='projection' with unequal activities), "
                "so it has no factor U with W = U C U^T; this analysis needs a symmetric W (theory.md §3): "
                "use equal-activity patterns or rule='betteti', or for this network local_stability (exact "
                "complex spectra), lyapunov_certificate and certified_radius, which take any W"
            )
        return self.L

    @property
    def n_units(self) -> int:
        """N."""
        return int(self.patterns.shape[0])

    @property
    def n_patterns(self) -> int:
        """P."""
        return int(self.patterns.shape[1])

    @property
    def alpha(self) -> float:
        """``(b - a) / (phi(b) - phi(a))``."""
        return self.parameters.alpha

    @property
    def alpha_prime(self) -> float:
        """``alpha / (q (1 - r))``, the covariance weight scale."""
        return self.parameters.alpha_prime

    @property
    def beta(self) -> float:
        """Cross-talk offset."""
        return self.parameters.beta

    @property
    def gamma(self) -> float:
        """Uniform E/I-balance weight (gamma < 0 is global inhibition)."""
        return self.parameters.gamma

    @cached_property
    def c(self) -> np.ndarray:
        """Diagonal of C."""
        return _readonly(np.ascontiguousarray(np.diag(self.C)))

    @cached_property
    def L32(self) -> np.ndarray:
        """The left factor in float32 (kept with the network: float32 products, Newton's Gram matrices)."""
        return _readonly(self.L.astype(np.float32))

    @cached_property
    def R32(self) -> np.ndarray:
        """The right factor in float32 (`L32` for a symmetric W), kept with the network like `L32`."""
        return self.L32 if self.R_factor is None else _readonly(self.R_factor.astype(np.float32))

    @cached_property
    def row_types(self) -> RowTypes:
        """Units grouped by identical pattern rows (k types)."""
        return row_types(self.patterns)

    @cached_property
    def statistics(self):
        """:class:`~assocrate.core.patterns.PatternStatistics` of the stored patterns."""
        return pattern_statistics(self.patterns)

    def derived(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()`` the first time `key` is asked of this network, the same object afterwards.

        The network is immutable, so what analyses derive from it (its row-type Gram matrix, the
        design residuals of the memories, its uniform states) is computed once per network and
        per `key`, and lives as long as the network does.

        Examples
        --------
        >>> from assocrate.core.activations import Sigmoid
        >>> from assocrate.core.patterns import equal_overlap_patterns
        >>> net = design(equal_overlap_patterns(100, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> net.derived("three", lambda: [3]) is net.derived("three", lambda: [4])
        True
        """
        memo = self.__dict__.setdefault("_derived", {})  # beside the cached properties' values
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    @property
    def is_exact(self) -> bool:
        """Whether the rescaled memories are exact equilibria by construction.

        Always for the projection rule; for the betteti rule, whether every pattern has the same
        size and every pair the same overlap at the design's q, r.
        """
        if self.rule == "projection":
            return True
        stats = self.statistics
        return bool(stats.is_exact_design and abs(stats.q - self.q) <= 1e-12 and abs(stats.r - self.r) <= 1e-12)

    def weights_matvec(self, x: np.ndarray) -> np.ndarray:
        """``W x`` through the factors, O(N P) per column.

        Parameters
        ----------
        x : numpy.ndarray, shape (N,) or (N, B)
            float64 or float32; the result has the same dtype.

        Examples
        --------
        >>> from assocrate.core.activations import Sigmoid
        >>> from assocrate.core.patterns import equal_overlap_patterns
        >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> x = net.memory_rates()[:, 0]
        >>> bool(np.allclose(net.weights_matvec(x), net.memory_currents()[:, 0], atol=1e-12))
        True
        """
        x = np.asarray(x)
        if x.shape[:1] != (self.n_units,) or x.ndim > 2:
            raise InvalidInput(f"`x` must have shape ({self.n_units},) or ({self.n_units}, B); got {x.shape}")
        right = None if self.R_factor is None else (self.R32 if x.dtype == np.float32 else self.R_factor)
        if x.dtype == np.float32:
            return lowrank_matvec(self.L32, self.c.astype(np.float32), x, right=right)
        return lowrank_matvec(self.L, self.c, x.astype(np.float64, copy=False), right=right)

    @cached_property
    def augmented_factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(L1, c1, R1)`` with ``W = L1 diag(c1) R1^T`` and a last column of ones in L1 and R1 (m1 = P + 1).

        The betteti rule's own factors (``L1 = R1 = U``, ``c1[-1] = gamma/N``); for the projection
        rule ``L1 = [L, 1]``, ``R1 = [R, 1]`` (the same array when W is symmetric) and
        ``c1 = [c, 0]``. The Dale realization shifts ``c1[-1]`` (theory.md §6); the spiking
        realization's latent traces are ``R1^T s`` (theory.md §6b).

        Examples
        --------
        >>> from assocrate.core.activations import Sigmoid
        >>> xi = np.array([[1, 0], [1, 1], [0, 1], [0, 1], [0, 0]], dtype=bool)
        >>> net = design(xi, Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection")
        >>> L1, c1, R1 = net.augmented_factors
        >>> L1.shape, float(c1[-1]), bool(np.allclose((L1 * c1) @ R1.T, net.dense_weights()))
        ((5, 3), 0.0, True)
        """
        if self.rule == "betteti":
            return self.L, self.c, self.L
        ones = np.ones((self.n_units, 1))
        L1 = _readonly(np.hstack([self.L, ones]))
        R1 = L1 if self.R_factor is None else _readonly(np.hstack([self.R_factor, ones]))
        return L1, _readonly(np.append(self.c, 0.0)), R1

    def dense_weights(self, *, force: bool = False) -> np.ndarray:
        """Form W as a dense N x N array (for small N and for tests).

        Raises
        ------
        ValueError
            If N > `DENSE_LIMIT` and not `force`.
        """
        if self.n_units > DENSE_LIMIT and not force:
            raise InvalidInput(
                f"dense W would be {self.n_units} x {self.n_units} "
                f"({self.n_units**2 * 8 / 1e9:.1f} GB); N must be <= {DENSE_LIMIT} unless force=True"
            )
        return (self.L * self.c) @ self.R.T

    def memory_currents(self) -> np.ndarray:
        """Rescaled memories in current units, ``h^mu = a 1 + (b - a) xi^mu`` (N x P)."""
        return self.a + (self.b - self.a) * self.patterns

    def memory_rates(self) -> np.ndarray:
        """Rescaled memories in rate units, ``x^mu = phi(a) 1 + (phi(b) - phi(a)) xi^mu`` (N x P)."""
        phi_a, phi_b = float(self.activation.phi(self.a)), float(self.activation.phi(self.b))
        return phi_a + (phi_b - phi_a) * self.patterns

    def eigenvalues_of_weights(self) -> Spectrum:
        """Spectrum of W from the (P+1) x (P+1) reduced problem (0 fills the remaining N - P - 1).

        For the exact design: alpha (x P), gamma (x 1), 0 (x N - P - 1).

        Raises
        ------
        InvalidInput
            If W is not symmetric (its spectrum is then complex; see
            :func:`assocrate.stability.general.reduced_weight_eigenvalues`).
        """
        self.U  # noqa: B018 -- raises for a non-symmetric W
        return self.derived("eigenvalues of W", lambda: reduced_spectrum(self.type_gram, self.c, self.n_units))

    @cached_property
    def type_gram(self) -> np.ndarray:
        """``U^T U`` (m x m, symmetric W only), summed over the row types with their counts."""
        return _readonly(weighted_gram(self.U[self.type_representatives], counts=self.row_types.counts))

    @cached_property
    def type_representatives(self) -> np.ndarray:
        """The first unit of every row type, shape (k,), in the order of :attr:`row_types`.

        Every quantity that is constant on row types (a row of W, a slope, a rate) is read at these
        units: ``W[np.ix_(reps, reps)]`` is the type-to-type weight matrix, formed as
        ``(U[reps] * c) @ U[reps].T``.

        Examples
        --------
        >>> from assocrate.core.activations import Sigmoid
        >>> from assocrate.core.patterns import equal_overlap_patterns
        >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        >>> reps = net.type_representatives
        >>> reps.shape, bool(np.all(net.row_types.index[reps] == np.arange(net.row_types.n_types)))
        ((7,), True)
        """
        types = self.row_types
        first = np.full(types.n_types, -1, dtype=np.int64)
        first[types.index[::-1]] = np.arange(self.n_units - 1, -1, -1)
        return _readonly(first)

    def parameters_record(self) -> dict:
        """The scalars that define the network (activation, levels, q, r, tau, design scalars) as a dict.

        Used for JSON output and for the metadata of saved networks.
        """
        record = {
            "activation": activation_record(self.activation),
            "a": self.a,
            "b": self.b,
            "q": self.q,
            "r": self.r,
            "tau": self.tau,
            "alpha": self.alpha,
            "alpha_prime": self.alpha_prime,
            "beta": self.beta,
            "gamma": self.gamma,
        }
        if self.rule != "betteti":  # betteti records stay as they were
            record["rule"] = self.rule
            record["symmetric"] = self.is_symmetric
        return record

    def summary(self) -> str:
        """A short human-readable description."""
        lines = [
            f"MemoryNetwork: N={self.n_units} units, P={self.n_patterns} patterns, "
            f"{self.row_types.n_types} row types",
            f"  activation  {self.activation!r}",
            f"  levels      a={self.a:g}, b={self.b:g}, tau={self.tau:g}",
            f"  patterns    q={self.q:.6g}, r={self.r:.6g} ({'exact' if self.is_exact else 'approximate'} design)",
            f"  weights     alpha={self.alpha:.6g}, alpha'={self.alpha_prime:.6g}, "
            f"beta={self.beta:.6g}, gamma={self.gamma:.6g}",
        ]
        if self.rule == "projection":
            lines[3] = (
                f"  patterns    q={self.q:.6g}, r={self.r:.6g} (mean activity and overlap; projection rule: "
                "every memory exact)"
            )
            lines[4] = (
                f"  weights     projection rule, W = L C R^T of rank {self.n_patterns}, "
                f"{'symmetric (equal activities)' if self.is_symmetric else 'not symmetric (unequal activities)'}; "
                f"the betteti rule would give alpha'={self.alpha_prime:.6g}, gamma={self.gamma:.6g}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"MemoryNetwork(n_units={self.n_units}, n_patterns={self.n_patterns}, activation={self.activation!r}, "
            f"a={self.a:g}, b={self.b:g}, "
            + (f"rule='projection', symmetric={self.is_symmetric})" if self.rule == "projection" else
               f"alpha'={self.alpha_prime:.6g}, beta={self.beta:.6g}, gamma={self.gamma:.6g})")
        )


def design(
    patterns: np.ndarray,
    activation: Activation,
    a: float,
    b: float,
    *,
    q: float | None = None,
    r: float | None = None,
    tau: float = 1.0,
    rule: str = "betteti",
) -> MemoryNetwork:
    """Store binary patterns with the covariance + E/I-balance rule or the projection rule (theory.md §3).

    Parameters
    ----------
    patterns : array_like of 0/1, shape (N, P)
        One pattern per column.
    activation : Activation
        :class:`~assocrate.core.activations.Sigmoid`, :class:`~assocrate.core.activations.RectifiedTanh`
        or :class:`~assocrate.core.lif.LIFTransfer` (any object with the activation protocol).
    a, b : float
        Current levels of inactive and active units, ``a < b`` and ``phi(a) < phi(b)``.
    q, r : float, optional
        Activity and overlap fraction; estimated from the patterns when omitted.
    tau : float, default 1.0
        Time constant, > 0.
    rule : {"betteti", "projection"}, default "betteti"
        ``"betteti"``: the paper's rule (exact when all activities and all pairwise overlaps are
        equal). ``"projection"``: ``W X = H`` for any linearly independent patterns; symmetric
        ``W = H (X^T H)^{-1} H^T`` when all activities are equal, otherwise the non-symmetric
        ``W = H (X^T X)^{-1} X^T`` (no energy function, theory.md §5 item 1; see
        :func:`assocrate.core.diagnosis.diagnose_patterns` for which rule a pattern set needs).
        With ``"projection"``, `q` and `r` only set the recorded betteti parameters.

    Returns
    -------
    MemoryNetwork

    Warns
    -----
    UserWarning
        With ``rule="betteti"``, when pattern sizes or pairwise overlaps are unequal: the memories
        are then only approximate equilibria (see :func:`assocrate.core.equilibria.refine_equilibrium`
        and :func:`assocrate.core.diagnosis.diagnose_patterns`; ``rule="projection"`` makes them exact).

    Notes
    -----
    ``alpha' = (b-a) / (q (1-r) (phi(b) - phi(a)))``,
    ``beta = q ((1-r) phi(a) + r phi(b)) / ((1-q) phi(a) + q phi(b))``,
    ``gamma = ((1-beta) a + beta b) / ((1-q) phi(a) + q phi(b))``. With equal sizes qN and equal
    overlaps rqN, ``W x^mu = h^mu`` exactly (``proofs/design_identity.py``).

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(rho=4.8, threshold=0.2), a=-0.3, b=0.95)
    >>> print(f"{net.alpha_prime:.6f} {net.gamma:.6f}")
    7.812604 -0.249992
    """
    xi = check_patterns("patterns", patterns)
    tau = check_positive("tau", tau)
    if not all(hasattr(activation, attr) for attr in ("phi", "dphi", "inverse", "slope_bounds")):
        raise InvalidType(f"`activation` must be a Sigmoid, RectifiedTanh or LIFTransfer; got {activation!r}")
    rule = check_choice("rule", rule, RULES)
    if q is None or r is None:
        stats = pattern_statistics(xi)
        if not stats.is_exact_design and rule == "betteti":
            warnings.warn(
                "pattern sizes or pairwise overlaps are unequal: the rescaled memories are approximate "
                "equilibria; rule='projection' makes them exact (assocrate.diagnose_patterns explains), "
                "or use assocrate.core.equilibria.refine_equilibrium to locate the true ones",
                UserWarning,
                stacklevel=2,
            )
        q = stats.q if q is None else q
        r = stats.r if r is None else r
    params = design_parameters(activation, a, b, q, r)
    n_units = xi.shape[0]
    if rule == "projection":
        with np.errstate(over="ignore"):
            phi_a, phi_b = float(activation.phi(a)), float(activation.phi(b))
        factors = projection_factors(xi, phi_a, phi_b, float(a), float(b))
        return MemoryNetwork(
            patterns=xi, activation=activation, a=float(a), b=float(b), q=float(q), r=float(r),
            parameters=params, tau=tau, L=_readonly(factors.L), C=_readonly(np.diag(factors.c)),
            R_factor=None if factors.R is None else _readonly(factors.R), rule="projection",
        )
    U = np.empty((n_units, xi.shape[1] + 1))
    np.subtract(xi, params.beta, out=U[:, :-1])
    U[:, -1] = 1.0
    c = np.append(np.full(xi.shape[1], params.alpha_prime / n_units), params.gamma / n_units)
    return MemoryNetwork(
        patterns=xi,
        activation=activation,
        a=float(a),
        b=float(b),
        q=float(q),
        r=float(r),
        parameters=params,
        tau=tau,
        L=_readonly(U),
        C=_readonly(np.diag(c)),
    )


def require_symmetric(network: MemoryNetwork, what: str) -> MemoryNetwork:
    """Return `network` if its W is symmetric, else raise :class:`~assocrate.errors.InvalidInput` saying `what` needs it.

    Only the energy function and what rests on it (global convergence, theory.md §5 item 1) need
    ``W = W^T``: ``dE/dt <= 0`` uses it. A projection-rule design with unequal activities has a
    non-symmetric W (theory.md §3); every other analysis (local spectra and Lyapunov certificates,
    the Metzler, interval and sector radii, LDS, contraction and input-driven certificates) takes it.
    """
    if not network.is_symmetric:
        raise InvalidInput(
            f"{what} needs a symmetric W: the energy decreases along trajectories only when W = W^T (theory.md "
            f"§5 item 1); got a non-symmetric W = L C R^T (rule={network.rule!r} with unequal activities, theory.md "
            "§3). For this network use certified_radius (radius certificates: Metzler and interval boxes, any W), "
            "lyapunov_certificate and local_stability (exact complex spectra) and retrieve; for a symmetric W use "
            "equal-activity patterns or rule='betteti'"
        )
    return network


def check_network(network: object) -> MemoryNetwork:
    """Return `network` if it is a :class:`MemoryNetwork`, else raise :class:`~assocrate.errors.InvalidType`."""
    if not isinstance(network, MemoryNetwork):
        raise InvalidType(f"`network` must be a MemoryNetwork; got {type(network).__name__}")
    return network
