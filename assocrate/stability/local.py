"""Local stability of the stored memories: exact Jacobian spectra, the paper's conditions, Lyapunov
certificates (DESIGN.md §2, §4).

At a memory the Jacobians are ``J_rate = (-I + D W)/tau`` and ``J_current = (-I + W D)/tau`` with
``D = diag(phi'(h))``. Both have the spectrum of ``(-I + D^{1/2} W D^{1/2})/tau``, and with
``W = U C U^T`` (U is N x m, m = P + 1)

    spec(tau J) = { -1 (x N - rank) } ∪ { -1 + lambda : lambda ∈ spec(C U^T D U) }

so every spectrum costs O(N m^2), or O(k m^2) on the k row types of the patterns, and never an
N x N matrix. A memory is called *stable* only when its largest eigenvalue is negative beyond the
rounding band of the reduction (or when a Lyapunov certificate says so); a condition that was not
met never makes a memory stable.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import flint
import numpy as np
import scipy.linalg

from .._validation import check_choice, check_index
from .._validation import readonly as _readonly
from ..certify._rational import to_fmpq
from ..certify.certificate import Certificate, ConstraintResidual, is_definite_float
from ..certify.exact import is_positive_definite_exact, to_rational
from ..core.design import MemoryNetwork, check_network
from ..core.equilibria import NewtonStatus, UniformState, uniform_states
from ..core.lowrank import Spectrum, make_spectrum, reduced_eigenvalues, symmetric_part, weighted_gram
from ..core.patterns import PatternStatistics
from ..dynamics import FORMS
from ..errors import InvalidInput
from ._linearization import (
    MemoryPoint,
    ideal_grams,
    ideal_residuals,
    is_exact_design,
    memory_points,
    point_gram,
    type_rows,
)

__all__ = [
    "JacobianSpectrum",
    "LocalStability",
    "MemoryStability",
    "StabilityConditions",
    "Verdict",
    "closed_form_spectrum",
    "conditions",
    "jacobian_spectrum",
    "local_stability",
    "lyapunov_certificate",
]

Point = Literal["equilibrium", "ideal"]
Form = Literal["rate", "current"]
_POINTS = ("equilibrium", "ideal")
_METHODS = ("auto", "explicit", "lyapunov")

#: Half-width of the "undecided" band around 0, relative to ``max(1, max |lambda|) / tau``: about
#: 4500 ulps, far above the rounding error of the (P+1) x (P+1) reduction.
VERDICT_RTOL = 1e-12

# A designed memory (at="ideal") of an approximate design counts as an equilibrium only when its
# fixed-point residual max |W x̄ - h̄| is below this, times max(1, |a|, |b|) (rounding).
IDEAL_RESIDUAL_ATOL = 1e-10

# ----------------------------------------------------------------------------------------------
# Verdicts and small helpers
# ----------------------------------------------------------------------------------------------


class Verdict(enum.Enum):
    """Local stability of one memory, from the sign of its largest Jacobian eigenvalue."""

    STABLE = "stable"
    UNSTABLE = "unstable"
    UNDECIDED = "undecided (largest eigenvalue within rounding of 0)"


def verdict_from(max_eigenvalue: float, tolerance: float) -> Verdict:
    if max_eigenvalue < -tolerance:
        return Verdict.STABLE
    if max_eigenvalue > tolerance:
        return Verdict.UNSTABLE
    return Verdict.UNDECIDED


# ----------------------------------------------------------------------------------------------
# Spectra
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class JacobianSpectrum:
    """The exact Jacobian spectrum at one memory, with multiplicities.

    Attributes
    ----------
    mu : int
        Memory index.
    at : str
        ``"equilibrium"`` or ``"ideal"`` (the designed memory, not refined).
    form : str
        ``"rate"`` or ``"current"`` (the two Jacobians are similar: same spectrum).
    tau : float
        Time constant; every eigenvalue scales as 1/tau.
    spectrum : Spectrum
        All N eigenvalues of J (values and multiplicities).
    reduced : numpy.ndarray, shape (rank,)
        The eigenvalues lambda of the reduced problem ``C U^T D U`` on the range of ``U^T D U``
        (J has ``(-1 + lambda)/tau`` for each, and ``-1/tau`` with multiplicity ``N - rank``).
    eta : float
        Largest slope ``max phi'(h)`` at the point.
    equilibrium_residual : float
        ``max |-x + phi(W x)|`` at the point (0 up to rounding for an exact design).
    equilibrium_status : str
        ``"exact design"``, ``"designed memory (not refined)"``, ``"closed form"`` or the Newton
        status of the refinement.
    equilibrium_shift : float
        ``max |x - x̄^mu|`` between the point and the designed memory.
    tolerance : float
        Half-width of the undecided band around 0 for the verdict.
    equilibrium_tolerance : float
        Largest :attr:`equilibrium_residual` at which an ``at="ideal"`` point of an approximate
        design counts as an equilibrium (rounding: ``IDEAL_RESIDUAL_ATOL * max(1, |a|, |b|)``).
    """

    mu: int
    at: str
    form: str
    tau: float
    spectrum: Spectrum
    reduced: np.ndarray
    eta: float
    equilibrium_residual: float
    equilibrium_status: str
    equilibrium_shift: float
    tolerance: float
    equilibrium_tolerance: float = 0.0

    @property
    def rank(self) -> int:
        """Number of reduced eigenvalues (the rest of the spectrum is ``-1/tau``)."""
        return int(self.reduced.size)

    @property
    def max_eigenvalue(self) -> float:
        """Largest eigenvalue of J."""
        return self.spectrum.max

    @property
    def equilibrium_found(self) -> bool:
        """Whether the spectrum was taken at an equilibrium.

        ``at="equilibrium"``: an exact design, the closed form, or a converged Newton refinement.
        ``at="ideal"``: an exact design, or a designed memory whose fixed-point residual is within
        rounding (:attr:`equilibrium_tolerance`); the designed memories of an approximate design
        are in general not equilibria.
        """
        if self.at == "ideal":
            return self.equilibrium_status == "exact design" or self.equilibrium_residual <= self.equilibrium_tolerance
        return self.equilibrium_status in ("exact design", "closed form", NewtonStatus.CONVERGED.value)

    @property
    def verdict(self) -> Verdict:
        """Stable / unstable / undecided from the sign of :attr:`max_eigenvalue`.

        Undecided also when no equilibrium was found near the memory, or (``at="ideal"``) when the
        designed memory is not an equilibrium: the linearisation at a point that is not an
        equilibrium says nothing about stability.
        """
        if not self.equilibrium_found:
            return Verdict.UNDECIDED
        return verdict_from(self.max_eigenvalue, self.tolerance)

    def time_constants(self, n: int = 3) -> np.ndarray:
        """Effective time constants ``tau / (1 - lambda)`` of the `n` slowest modes, slowest first.

        A negative value is a growing mode (its growth time with a minus sign); the bulk modes have
        time constant tau.
        """
        slowest = np.sort(np.append(self.reduced, 0.0))[::-1][:n]
        with np.errstate(divide="ignore"):
            return self.tau / (1.0 - slowest)

    def summary(self) -> str:
        """The verdict and the distinct eigenvalues with multiplicities."""
        grouped = self.spectrum.grouped()
        listed = ", ".join(
            f"{value:.6g} (x{count})" for value, count in zip(grouped.values[::-1][:8], grouped.multiplicities[::-1][:8])
        )
        return (
            f"memory {self.mu} ({self.at}, {self.form} form, tau={self.tau:g}): max eigenvalue "
            f"{self.max_eigenvalue:.6g} -> {self.verdict.value}\n  eigenvalues: {listed}"
            + (" ..." if grouped.values.size > 8 else "")
        )

    def __repr__(self) -> str:
        return (
            f"JacobianSpectrum(mu={self.mu}, at={self.at!r}, max_eigenvalue={self.max_eigenvalue:.6g}, "
            f"rank={self.rank}, size={self.spectrum.size}, verdict={self.verdict.name})"
        )


def spectrum_from_reduced(
    network: MemoryNetwork, mu: int, at: str, form: str, reduced: np.ndarray, point: MemoryPoint, *, status: str | None = None
) -> JacobianSpectrum:
    tau = network.tau
    reduced = np.sort(np.asarray(reduced, dtype=float))
    values = np.append((-1.0 + reduced) / tau, -1.0 / tau)
    multiplicities = np.append(np.ones(reduced.size, dtype=np.int64), network.n_units - reduced.size)
    scale = max(1.0, float(np.max(np.abs(reduced))) if reduced.size else 1.0)
    return JacobianSpectrum(
        mu=mu,
        at=at,
        form=form,
        tau=tau,
        spectrum=make_spectrum(values, multiplicities),
        reduced=_readonly(reduced),
        eta=point.eta,
        equilibrium_residual=point.residual,
        equilibrium_status=point.status if status is None else status,
        equilibrium_shift=point.shift,
        tolerance=VERDICT_RTOL * scale / tau,
        equilibrium_tolerance=IDEAL_RESIDUAL_ATOL * max(1.0, abs(network.a), abs(network.b)),
    )


def spectrum_at_state(network: MemoryNetwork, mu: int, h: np.ndarray, residual: float, status: str) -> JacobianSpectrum:
    """The rate-form spectrum at a state with currents `h` already located near memory `mu`.

    For callers that found the equilibrium themselves (``assocrate.retrieval.capacity_curve``), so
    that their stability decision is :attr:`JacobianSpectrum.verdict`, with its tolerance and its
    "no equilibrium" rule. O(N P^2).
    """
    slopes = np.asarray(network.activation.dphi(h), dtype=float)
    point = MemoryPoint(network.U, np.ones(network.n_units, dtype=np.int64), slopes, float(slopes.max()), residual, status, 0.0)
    return spectrum_from_reduced(
        network, mu, "equilibrium", "rate", reduced_eigenvalues(point_gram(point), network.c), point
    )


def jacobian_spectrum(
    network: MemoryNetwork, mu: int, *, at: Point = "equilibrium", form: Form = "rate"
) -> JacobianSpectrum:
    """Exact spectrum of the Jacobian at memory `mu`, with multiplicities, in O(N P^2) or O(k P^2).

    Parameters
    ----------
    network : MemoryNetwork
    mu : int
        Memory index in ``[0, P)``.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        ``"equilibrium"``: at the true equilibrium near the memory. For an exact design (equal
        sizes and overlaps) that is the designed memory itself; otherwise it is located first
        with :func:`~assocrate.core.equilibria.refine_equilibrium` (Newton, O(N P^2) per step).
        ``"ideal"``: at the designed memory ``h̄ = a + (b - a) xi^mu`` even when it is not an
        equilibrium (the linearisation the paper's conditions use).
    form : {"rate", "current"}, default "rate"
        ``J_rate = (-I + D W)/tau`` or ``J_current = (-I + W D)/tau = J_rate^T``: the spectra are
        identical; the form is recorded and matters for :func:`lyapunov_certificate`.

    Returns
    -------
    JacobianSpectrum

    Notes
    -----
    DESIGN.md §4: ``D W`` and ``D^{1/2} W D^{1/2}`` are similar (when D > 0; by continuity
    otherwise), and the nonzero eigenvalues of ``D^{1/2} U C U^T D^{1/2}`` are those of
    ``C U^T D U`` (``det(lambda I_N - A B) = lambda^{N-m} det(lambda I_m - B A)``), which has the
    real spectrum of the symmetric ``G^{1/2} C G^{1/2}``, ``G = U^T D U``. Directions where G
    vanishes (units with zero slope, linearly dependent patterns) add to the ``-1`` eigenvalue, so
    the multiplicities always sum to N. With identical pattern rows grouped into k types, G is a
    sum over types weighted by their counts.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> js = jacobian_spectrum(net, 0)
    >>> js.spectrum.size, js.verdict.value, round(js.max_eigenvalue, 6)
    (1000, 'stable', -0.99978)
    """
    network = check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    at = check_choice("at", at, _POINTS)
    form = check_choice("form", form, FORMS)
    point = memory_points(network, [mu], at)[0]
    return spectrum_from_reduced(network, mu, at, form, reduced_eigenvalues(point_gram(point), network.c), point)


def pattern_structure_reason(rows: np.ndarray, statistics: Callable[[], PatternStatistics]) -> str | None:
    """None if patterns with these row types (and statistics, computed only when needed) are the
    equal-overlap construction with ``r = q`` (the closed form of DESIGN.md §4 applies), else why not."""
    n_patterns = rows.shape[1]
    ones = rows.sum(axis=1)
    if n_patterns < 2:
        return f"it needs P >= 2 patterns; got P={n_patterns}"
    if not np.all((ones <= 1) | (ones == n_patterns)):
        return "some units are active in more than one but not all patterns (not the equal-overlap construction)"
    stats = statistics()
    if not stats.is_exact_design:
        return "the patterns do not have equal sizes and equal pairwise overlaps"
    if not math.isclose(stats.r, stats.q, rel_tol=0.0, abs_tol=1e-12):
        return f"the overlap fraction r={stats.r:.6g} differs from the activity q={stats.q:.6g}"
    return None


def _equal_overlap_structure(network: MemoryNetwork) -> str | None:
    """None if the closed form of DESIGN.md §4 applies to `network`, else the reason it does not."""
    reason = pattern_structure_reason(network.row_types.rows, lambda: network.statistics)
    if reason is not None:
        return reason
    stats = network.statistics
    if not network.is_exact:
        return f"the network was designed with q={network.q:.6g}, r={network.r:.6g}, not the patterns' q={stats.q:.6g}, r={stats.r:.6g}"
    return None


def closed_form_spectrum(network: MemoryNetwork, mu: int) -> JacobianSpectrum:
    """The Jacobian spectrum at memory `mu` of the equal-overlap design, in closed form.

    Parameters
    ----------
    network : MemoryNetwork
        Designed on the equal-overlap construction (:func:`~assocrate.core.patterns.equal_overlap_patterns`,
        with ``q^2 N`` and ``q N`` integers so that ``r = q``) with the patterns' own q and r.
    mu : int
        Memory index (every memory has the same spectrum).

    Returns
    -------
    JacobianSpectrum
        ``at="equilibrium"`` (the designed memories are exact equilibria), ``form="rate"``.

    Raises
    ------
    ValueError
        If the patterns are not of that kind (unequal sizes or overlaps, units shared by some but
        not all patterns, ``r != q``) or the network was designed with other q, r; the message
        says which. Use :func:`jacobian_spectrum` for any network.

    Notes
    -----
    DESIGN.md §4, with ``d_a = phi'(a)``, ``d_b = phi'(b)``, ``delta = d_b - d_a``:

        K2 = [[alpha (q d_a + (1-q) d_b),   alpha delta sqrt(q(1-q))],
              [gamma delta sqrt(q(1-q)),    gamma ((1-q) d_a + q d_b)]]

    (``det K2 = alpha gamma d_a d_b``) gives ``-1 + lambda±(K2)``; the other memories give
    ``-1 + alpha d_a`` (x P-2) and ``-1 + alpha (d_a + (P-1) q delta)`` (x1); the rest is -1; all
    over tau. The reduced matrix commutes with permutations of the other P-1 patterns, which
    splits it into a (P-2)-fold block and a 3 x 3 block whose characteristic polynomial factors
    as ``(lambda - alpha (d_a + (P-1) q delta)) det(lambda - K2)`` when ``beta = q``, ``r = q``
    (checked with sympy during development; the tests compare with the reduction to 1e-10).

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> round(closed_form_spectrum(net, 0).max_eigenvalue, 6)
    -0.99978
    """
    network = check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    reason = _equal_overlap_structure(network)
    if reason is not None:
        raise InvalidInput(f"closed_form_spectrum needs the equal-overlap design of DESIGN.md §4: {reason}")
    P, q = network.n_patterns, network.q
    d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
    reduced = _closed_form_reduced(network.alpha, network.gamma, q, d_a, d_b, P)
    point = MemoryPoint(network.U[:1], np.ones(1), np.array([d_a, d_b]), max(d_a, d_b), 0.0, "closed form", 0.0)
    return spectrum_from_reduced(network, mu, "equilibrium", "rate", reduced, point)


def _closed_form_reduced(alpha: float, gamma: float, q: float, d_a: float, d_b: float, P: int) -> np.ndarray:
    lam_minus, lam_plus = k2_eigenvalues(alpha, gamma, q, d_a, d_b)
    return np.concatenate(
        [[lam_minus, lam_plus], np.full(P - 2, alpha * d_a), [alpha * (d_a + (P - 1) * q * (d_b - d_a))]]
    )


def k2_eigenvalues(alpha, gamma, q, d_a, d_b):
    """Eigenvalues ``lambda- <= lambda+`` of K2 (works elementwise on arrays).

    K2 is similar to a symmetric matrix when ``alpha gamma > 0`` and has real eigenvalues in every
    case here (it is a block of ``C U^T D U``); the discriminant is clipped at 0 against rounding.
    """
    delta = d_b - d_a
    k11 = alpha * (q * d_a + (1 - q) * d_b)
    k22 = gamma * ((1 - q) * d_a + q * d_b)
    half_trace = 0.5 * (k11 + k22)
    # discriminant of K2: ((k11 - k22)/2)^2 + k12 k21, with k12 k21 = alpha gamma delta^2 q (1-q)
    root = np.sqrt(np.clip(0.25 * (k11 - k22) ** 2 + alpha * gamma * delta**2 * q * (1 - q), 0.0, None))
    return half_trace - root, half_trace + root


# ----------------------------------------------------------------------------------------------
# The paper's conditions
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StabilityConditions:
    """The analytic conditions of DESIGN.md §4 with their values.

    Attributes
    ----------
    d_a, d_b : float
        Slopes ``phi'(a)``, ``phi'(b)`` at the two levels of a designed memory.
    eta : float
        ``max(d_a, d_b)``.
    alpha, gamma, q : float
        Design scalars.
    lambda_max_W : float
        Largest eigenvalue of W from the reduction (``max(alpha, gamma)`` for an exact design).
    sufficient_value : float
        ``eta * max(lambda_max_W, 0)``; the sufficient condition is ``sufficient_value < 1``.
    instability_terms : tuple of float
        ``q (gamma - alpha)(d_b - d_a) - (1 - d_b alpha)(1 - d_a gamma)`` and
        ``q d_b ((1-q) alpha + q gamma) - 1``.
    instability_value : float
        The larger term; the instability condition is ``instability_value > 0``.
    instability_proven : bool
        Whether the patterns are the equal-overlap construction with ``r = q`` for which the
        implication "instability condition ⇒ unstable memories" is a theorem. Elsewhere the
        condition is the paper's heuristic and is reported, not used.
    applies : bool
        Whether the designed memories are equilibria (an exact design), so that the sufficient
        condition at the designed levels speaks about the memories. For an approximate design the
        inequality is still evaluated, but it implies nothing about the memories: their verdicts
        come from the spectra at the refined equilibria.
    """

    d_a: float
    d_b: float
    eta: float
    alpha: float
    gamma: float
    q: float
    lambda_max_W: float
    sufficient_value: float
    instability_terms: tuple[float, float]
    instability_value: float
    instability_proven: bool
    applies: bool = True

    @property
    def sufficient_holds(self) -> bool:
        """The inequality ``eta * max(lambda_max(W), 0) < 1``.

        When :attr:`applies` (an exact design) it implies that every designed memory is locally
        exponentially stable; otherwise the designed memories are not equilibria and it implies
        nothing about them.
        """
        return self.sufficient_value < 1.0

    @property
    def instability_holds(self) -> bool:
        """The instability condition ``instability_value > 0``."""
        return self.instability_value > 0.0

    def summary(self) -> str:
        """Both conditions, their values and what they imply."""
        scope = "a proven implication for this design" if self.instability_proven else "paper's heuristic; derived for r = q"
        if not self.sufficient_holds:
            sufficient = "does not hold"
        elif self.applies:
            sufficient = "holds: every designed memory is locally exponentially stable"
        else:
            sufficient = (
                "holds at the designed levels, but the designed memories are not equilibria of this "
                "approximate design, so it implies nothing about them: the verdicts come from the spectra at "
                "the refined equilibria"
            )
        return "\n".join(
            [
                f"slopes d_a={self.d_a:.4g}, d_b={self.d_b:.4g}, eta={self.eta:.4g}; alpha={self.alpha:.6g}, "
                f"gamma={self.gamma:.6g}, lambda_max(W)={self.lambda_max_W:.6g}",
                f"sufficient   eta*max(lambda_max(W),0) = {self.sufficient_value:.4g} < 1: {sufficient}",
                f"instability  max({self.instability_terms[0]:.4g}, {self.instability_terms[1]:.4g}) = "
                f"{self.instability_value:.4g} > 0: {'holds' if self.instability_holds else 'does not hold'} ({scope})",
            ]
        )


def instability_terms(alpha, gamma, q, d_a, d_b):
    """The two terms of the instability condition (elementwise on arrays)."""
    first = q * (gamma - alpha) * (d_b - d_a) - (1 - d_b * alpha) * (1 - d_a * gamma)
    second = q * d_b * ((1 - q) * alpha + q * gamma) - 1
    return first, second


def _lambda_max_weights(network: MemoryNetwork) -> float:
    rows, counts, _ = type_rows(network)
    return float(reduced_eigenvalues(weighted_gram(rows, counts=counts), network.c)[-1])


def conditions(network: MemoryNetwork) -> StabilityConditions:
    """The sufficient and the instability condition of DESIGN.md §4, with their values.

    Parameters
    ----------
    network : MemoryNetwork

    Returns
    -------
    StabilityConditions

    Notes
    -----
    Sufficient: ``lambda_max(D^{1/2} W D^{1/2}) <= max(D) max(lambda_max(W), 0)``, so
    ``eta max(lambda_max(W), 0) < 1`` makes every Jacobian at a designed memory Hurwitz; for the
    exact design ``lambda_max(W) = max(alpha, gamma)`` (alpha > 0), the paper's
    ``eta max(alpha, gamma) < 1``. For other patterns lambda_max(W) comes from the reduction.
    Instability: the first term is ``-det(I - K2)`` (K2 of :func:`closed_form_spectrum`), so when
    it is positive K2 has an eigenvalue above 1; the second is ``q`` times a Rayleigh quotient of
    ``D^{1/2} W D^{1/2}`` (at the indicator of the active units) minus 1. Both are implications for
    the equal-overlap design with ``r = q``.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> c = conditions(net)
    >>> c.sufficient_holds, c.instability_holds
    (True, False)
    """
    network = check_network(network)
    d_a, d_b = float(network.activation.dphi(network.a)), float(network.activation.dphi(network.b))
    eta = max(d_a, d_b)
    lambda_max = _lambda_max_weights(network)
    terms = instability_terms(network.alpha, network.gamma, network.q, d_a, d_b)
    return StabilityConditions(
        d_a=d_a,
        d_b=d_b,
        eta=eta,
        alpha=network.alpha,
        gamma=network.gamma,
        q=network.q,
        lambda_max_W=lambda_max,
        sufficient_value=eta * max(lambda_max, 0.0),
        instability_terms=(float(terms[0]), float(terms[1])),
        instability_value=float(max(terms)),
        instability_proven=_equal_overlap_structure(network) is None,
        applies=is_exact_design(network),
    )


# ----------------------------------------------------------------------------------------------
# All memories
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryStability:
    """One row of :class:`LocalStability`.

    Attributes
    ----------
    index : int
        Memory mu.
    spectrum : JacobianSpectrum
        The exact spectrum at the memory.
    sufficient_value : float
        ``eta_mu * max(lambda_max(W), 0)`` with the largest slope at this memory's point.
    """

    index: int
    spectrum: JacobianSpectrum
    sufficient_value: float

    @property
    def max_eigenvalue(self) -> float:
        """Largest Jacobian eigenvalue."""
        return self.spectrum.max_eigenvalue

    @property
    def verdict(self) -> Verdict:
        """From the exact spectrum (never from a condition)."""
        return self.spectrum.verdict

    @property
    def sufficient_holds(self) -> bool:
        """The sufficient condition at this memory's point."""
        return self.sufficient_value < 1.0

    @property
    def slowest_time_constant(self) -> float:
        """``tau / (1 - lambda_max)`` of the slowest mode (negative: growth time of an unstable mode)."""
        return float(self.spectrum.time_constants(1)[0])


@dataclass(frozen=True, repr=False)
class LocalStability:
    """Local stability of every memory of a network, with the analytic conditions.

    Attributes
    ----------
    at : str
        Where the Jacobians were evaluated (``"equilibrium"`` or ``"ideal"``).
    tau : float
    n_units, n_patterns : int
    network_description : str
        First line of the network summary.
    memories : tuple of MemoryStability
    conditions : StabilityConditions
    uniform_states : tuple of UniformState
        The quiescent (and, for gamma > 0, intermediate and all-on) uniform equilibria.
    """

    at: str
    tau: float
    n_units: int
    n_patterns: int
    network_description: str
    memories: tuple[MemoryStability, ...]
    conditions: StabilityConditions
    uniform_states: tuple[UniformState, ...]

    @property
    def max_eigenvalues(self) -> np.ndarray:
        """Largest Jacobian eigenvalue per memory, shape (P,)."""
        return _readonly(np.array([m.max_eigenvalue for m in self.memories]))

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Verdict per memory."""
        return tuple(m.verdict for m in self.memories)

    @property
    def n_stable(self) -> int:
        """Number of memories with verdict STABLE."""
        return sum(v is Verdict.STABLE for v in self.verdicts)

    @property
    def all_stable(self) -> bool:
        """Whether every memory is (exactly-spectrally) stable."""
        return self.n_stable == self.n_patterns

    def to_record(self) -> dict:
        """A JSON-ready dict (``memories`` list, conditions, uniform states)."""
        c = self.conditions

        def finite(value: float) -> float | None:
            return float(value) if math.isfinite(value) else None

        return {
            "n_units": self.n_units,
            "n_patterns": self.n_patterns,
            "tau": self.tau,
            "at": self.at,
            "n_stable": self.n_stable,
            "memories": [
                {
                    "index": m.index,
                    # no equilibrium: the spectrum of a non-equilibrium point is not reported
                    "max_eigenvalue": m.max_eigenvalue if m.spectrum.equilibrium_found else None,
                    "stable": m.spectrum.equilibrium_found and m.verdict is Verdict.STABLE,
                    "verdict": m.verdict.name.lower(),
                    "equilibrium_found": m.spectrum.equilibrium_found,
                    "sufficient_holds": m.sufficient_holds,
                    "sufficient_value": m.sufficient_value,
                    "instability_holds": c.instability_holds,
                    "instability_value": c.instability_value,
                    "slowest_time_constant": (
                        finite(m.slowest_time_constant) if m.spectrum.equilibrium_found else None
                    ),
                    "equilibrium_residual": m.spectrum.equilibrium_residual,
                    "equilibrium_status": m.spectrum.equilibrium_status,
                }
                for m in self.memories
            ],
            "conditions": {
                "d_a": c.d_a,
                "d_b": c.d_b,
                "eta": c.eta,
                "alpha": c.alpha,
                "gamma": c.gamma,
                "lambda_max_W": c.lambda_max_W,
                "sufficient_value": c.sufficient_value,
                "sufficient_holds": c.sufficient_holds,
                "instability_terms": list(c.instability_terms),
                "instability_value": c.instability_value,
                "instability_holds": c.instability_holds,
                "instability_proven": c.instability_proven,
                "applies": c.applies,
            },
            "uniform_states": [
                {"kind": s.kind, "rate": s.rate, "max_eigenvalue": s.max_eigenvalue, "stable": s.stable}
                for s in self.uniform_states
            ],
        }

    def summary(self) -> str:
        """A table: per memory the largest eigenvalue, verdict, conditions and slowest time constant."""
        header = (
            f"{'mu':>4}  {'max eig':>11}  {'verdict':<10}  {'slowest tau_eff':>15}  "
            f"{'sufficient':>16}  {'instability':>17}  {'residual':>9}"
        )
        c = self.conditions
        lines = [
            f"Local stability ({self.at}, tau={self.tau:g}): {self.n_stable} of {self.n_patterns} memories stable",
            f"  {self.network_description}",
            "",
            header,
            "-" * len(header),
        ]
        for m in self.memories:
            instability = f"{c.instability_value:.3g} {'yes' if c.instability_holds else 'no'}"
            if not m.spectrum.equilibrium_found:
                if m.spectrum.at == "ideal":
                    missing = "designed memory is not an equilibrium: undecided"
                else:
                    newton = m.spectrum.equilibrium_status.split(":")[0]
                    missing = f"no equilibrium found near the memory (Newton: {newton})"
                lines.append(
                    f"{m.index:>4}  {'n/a':>11}  {missing:<51}  {instability:>17}  {m.spectrum.equilibrium_residual:>9.2g}"
                )
                continue
            slowest = m.slowest_time_constant
            slowest_text = f"{slowest:.6g}" if slowest > 0 else f"grows {-slowest:.3g}"
            sufficient = f"{m.sufficient_value:.3g} {'yes' if m.sufficient_holds else 'no'}"
            lines.append(
                f"{m.index:>4}  {m.max_eigenvalue:>11.5g}  {m.verdict.name.lower():<10}  {slowest_text:>15}  "
                f"{sufficient:>16}  {instability:>17}  {m.spectrum.equilibrium_residual:>9.2g}"
            )
        lines += ["", "conditions (DESIGN.md §4):", *("  " + line for line in c.summary().splitlines())]
        lines.append(
            "  (the per-memory 'sufficient' column uses the slopes at that memory's equilibrium; the line above "
            "uses the slopes phi'(a), phi'(b) at the designed levels)"
        )
        lines.append("uniform states x = s 1 with s = phi(gamma s):")
        for s in self.uniform_states:
            lines.append(
                f"  {s.kind:<12} rate {s.rate:.4g}, max eigenvalue {s.max_eigenvalue:.4g} -> "
                f"{'stable' if s.stable else 'unstable'}"
            )
        lines.append(
            "verdicts come from the exact spectrum; 'sufficient' and 'instability' are the paper's conditions."
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"LocalStability(n_units={self.n_units}, n_patterns={self.n_patterns}, at={self.at!r}, "
            f"n_stable={self.n_stable}, max_eigenvalue={float(self.max_eigenvalues.max()):.6g})"
        )


def local_stability(network: MemoryNetwork, *, at: Point = "equilibrium") -> LocalStability:
    """Local stability of every memory: exact spectra, verdicts, conditions, uniform states.

    Parameters
    ----------
    network : MemoryNetwork
    at : {"equilibrium", "ideal"}, default "equilibrium"
        As in :func:`jacobian_spectrum`. At the designed memories (exact designs, or ``"ideal"``)
        all P spectra cost O(k P^2 + q k P^3) together; refined equilibria cost a Newton solve each.

    Returns
    -------
    LocalStability

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), 0.1, 0.95)
    >>> result = local_stability(net)
    >>> result.n_stable, [s.kind for s in result.uniform_states]
    (6, ['quiescent', 'intermediate', 'all-on'])
    """
    network = check_network(network)
    at = check_choice("at", at, _POINTS)
    memories = list(range(network.n_patterns))
    found = conditions(network)
    lambda_plus = max(found.lambda_max_W, 0.0)
    rows = []
    exact = is_exact_design(network)
    if at == "ideal" or exact:
        grams = ideal_grams(network)
        _, _, xi = type_rows(network)
        residuals = ideal_residuals(network, *type_rows(network)[:2], xi)
        status = "exact design" if exact else "designed memory (not refined)"
        for mu in memories:
            active = xi[:, mu]
            eta = max(found.d_b if active.any() else 0.0, found.d_a if not active.all() else 0.0)
            point = MemoryPoint(xi[:0], np.zeros(0), np.zeros(0), eta, float(residuals[mu]), status, 0.0)
            spectrum = spectrum_from_reduced(network, mu, at, "rate", reduced_eigenvalues(grams[mu], network.c), point)
            rows.append(MemoryStability(mu, spectrum, eta * lambda_plus))
    else:
        for mu in memories:
            point = memory_points(network, [mu], at)[0]
            reduced = reduced_eigenvalues(point_gram(point), network.c)
            spectrum = spectrum_from_reduced(network, mu, at, "rate", reduced, point)
            rows.append(MemoryStability(mu, spectrum, point.eta * lambda_plus))
    description = (
        f"MemoryNetwork: N={network.n_units} units, P={network.n_patterns} patterns, "
        f"{network.row_types.n_types} row types; {network.activation!r}; a={network.a:g}, b={network.b:g}; "
        f"{'exact' if exact else 'approximate'} design"
    )
    return LocalStability(
        at=at,
        tau=network.tau,
        n_units=network.n_units,
        n_patterns=network.n_patterns,
        network_description=description,
        memories=tuple(rows),
        conditions=found,
        uniform_states=uniform_states(network),
    )


# ----------------------------------------------------------------------------------------------
# Lyapunov certificates
# ----------------------------------------------------------------------------------------------


def _dyadic(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integers n (object array) and E >= 0 with ``values == n / 2**E`` exactly (floats are dyadic)."""
    values = np.asarray(values, dtype=np.float64)
    mantissa, exponent = np.frexp(values)
    integers = np.ldexp(mantissa, 53).astype(np.int64)  # exact: |mantissa| * 2**53 < 2**53
    shift = exponent.astype(np.int64) - 53  # values = integers * 2**shift
    nonzero = integers != 0
    E = max(0, -int(shift[nonzero].min())) if nonzero.any() else 0
    result = np.zeros(values.shape, dtype=object)
    flat = result.reshape(-1)
    for i in np.flatnonzero(nonzero.reshape(-1)):
        flat[i] = int(integers.flat[i]) << int(shift.flat[i] + E)
    return result, E


def _exact_gram(rows: np.ndarray, counts: np.ndarray, slopes: np.ndarray, power: int) -> flint.fmpq_mat:
    """``sum_t counts_t slopes_t^power rows_t rows_t^T`` in exact rational arithmetic (m x m)."""
    row_integers, row_exponent = _dyadic(rows)
    slope_integers, slope_exponent = _dyadic(slopes)
    weights = np.array([int(c) for c in counts], dtype=object) * slope_integers**power
    A = flint.fmpz_mat(row_integers.tolist())
    B = flint.fmpz_mat((row_integers * weights[:, None]).tolist())
    return flint.fmpq_mat(A.transpose() * B) / (2 ** (2 * row_exponent + power * slope_exponent))


def _submatrix(M: flint.fmpq_mat, rows: list[int], cols: list[int]) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(rows), len(cols), [M[i, j] for i in rows for j in cols])


def _exact_all_below(H: flint.fmpq_mat, Z: flint.fmpq_mat, s: flint.fmpq) -> tuple[bool, flint.fmpq_mat]:
    """Decide exactly whether ``s I - Y Z Y^T > 0`` for every Y with ``Y^T Y = H`` (``s > 0``).

    Returns the verdict and the rational test matrix ``s H' - H_c Z H_c^T``.

    Notes
    -----
    Pick a maximal set of columns of Y that are linearly independent: the principal submatrix
    ``H' = H[c, c]`` is then nonsingular (checked exactly, greedily by rank). With ``Y' = Y S``,
    every column of Y lies in ``range(Y')``, so ``Y = Y' T`` with ``T = H'^{-1} S^T H``, and
    ``Y Z Y^T = Y' (T Z T^T) Y'^T``. Its nonzero eigenvalues are those of
    ``H'^{1/2} T Z T^T H'^{1/2}`` (``spec(A B) \\ {0} = spec(B A) \\ {0}``); on the orthogonal
    complement of range(Y) the matrix is ``s I > 0``. Hence ``s I - Y Z Y^T > 0`` iff
    ``s I - H'^{1/2} T Z T^T H'^{1/2} > 0`` iff (congruence by the invertible ``H'^{1/2}``)
    ``s H' - H' T Z T^T H' > 0``, and ``H' T = S^T H = H[c, :] =: H_c``. The test matrix
    ``s H' - H_c Z H_c^T`` is rational and exactly symmetric: no square root is ever taken.
    """
    n = H.nrows()
    chosen: list[int] = []
    for j in range(n):
        trial = chosen + [j]
        if _submatrix(H, trial, trial).rank() == len(trial):
            chosen = trial
    H_c = _submatrix(H, chosen, list(range(n)))
    test = _submatrix(H, chosen, chosen) * s - H_c * Z * H_c.transpose()
    if not chosen:  # Y = 0: the matrix is s I
        return True, test
    return bool(is_positive_definite_exact(test)), test


def _float_root(H: np.ndarray) -> np.ndarray:
    w, V = scipy.linalg.eigh(symmetric_part(H))
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def _refused(network: MemoryNetwork, js: JacobianSpectrum, form: str) -> Certificate:
    if not js.equilibrium_found and js.at == "ideal":
        reason = (
            f"the designed memory is not an equilibrium (fixed-point residual {js.equilibrium_residual:.3g} > "
            f"{js.equilibrium_tolerance:.3g}) and the linearisation at a point that is not an equilibrium says "
            "nothing about stability; a Lyapunov certificate there certifies nothing (use at='equilibrium')"
        )
    elif not js.equilibrium_found:
        reason = (
            "the equilibrium could not be located; a Lyapunov certificate at a point that is not an "
            "equilibrium certifies nothing"
        )
    else:
        reason = (
            f"its largest Jacobian eigenvalue is {js.max_eigenvalue:.6g}"
            + (" (within rounding of 0)" if js.verdict is Verdict.UNDECIDED else " > 0")
            + "; no P > 0 with J^T P + P J < 0 exists for a Jacobian that is not Hurwitz"
        )
    return Certificate(
        f"refused: memory {js.mu} is {js.verdict.name.lower()}: {reason}",
        "lyapunov",
        {"max_eigenvalue": js.max_eigenvalue},
        residuals=[ConstraintResidual("-(largest eigenvalue of J) > 0", -js.max_eigenvalue)],
        verified_float=False,
        verified_exact=False,
        parameters={
            "status": "refused",
            "memory": js.mu,
            "form": form,
            "at": js.at,
            "tau": network.tau,
            "n_units": network.n_units,
            "max_eigenvalue": js.max_eigenvalue,
            "verdict": js.verdict.name.lower(),
            "equilibrium_found": js.equilibrium_found,
            "equilibrium_residual": js.equilibrium_residual,
        },
    )


def lyapunov_certificate(
    network: MemoryNetwork,
    mu: int,
    *,
    form: Form = "rate",
    at: Point = "equilibrium",
    method: Literal["auto", "explicit", "lyapunov"] = "auto",
) -> Certificate:
    """A Lyapunov certificate ``P > 0``, ``J^T P + P J < 0`` for memory `mu`, verified exactly.

    Parameters
    ----------
    network : MemoryNetwork
    mu : int
        Memory index.
    form : {"rate", "current"}, default "rate"
        Which Jacobian: ``J_rate = (-I + D W)/tau`` or ``J_current = (-I + W D)/tau``.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        Where D is evaluated (see :func:`jacobian_spectrum`).
    method : {"auto", "explicit", "lyapunov"}, default "auto"
        ``"explicit"``: ``P = D^{-1}`` (rate form) or ``P = D`` (current form); needs every slope
        > 0. ``"lyapunov"``: the solution of ``J^T P + P J = -I``, built in reduced coordinates as
        ``P = (tau/2) I + Y X Y^T`` with ``Y = [U, D U]``. ``"auto"`` takes the explicit P when all
        slopes are positive (sigmoid), else the Lyapunov solution (rectified tanh below threshold).

    Returns
    -------
    Certificate
        ``kind="lyapunov"``. For a memory that is not stable (largest eigenvalue >= 0, or within
        rounding of 0, or an equilibrium that Newton did not find) the certificate is *refused*: a
        record with both verdicts False, ``parameters["status"] == "refused"`` and a claim saying
        why -- not an exception.

    Raises
    ------
    ValueError
        For invalid arguments, or ``method="explicit"`` with a zero slope.

    Notes
    -----
    Neither P nor J is ever formed: both are ``scalar * I`` (or diagonal) plus low rank, and
    every check reduces to an m x m or 2m x 2m rational matrix (m = P + 1) built from the exact
    Gram sums over row types. Floats (slopes, U, C, tau, X) are read as the dyadic rationals they
    are, so "exact" means exact for the network as stored in floating point.

    *Explicit* (D > 0): ``J^T D^{-1} + D^{-1} J = (2/tau)(W - D^{-1})``, congruent (by
    ``D^{1/2}``) to ``(2/tau)(V C V^T - I)`` with ``V = D^{1/2} U``, ``V^T V = G = U^T D U``; for the
    current form ``J^T D + D J = (2/tau) D (W - D^{-1}) D``, the same condition. So the LMI holds iff
    ``I - V C V^T > 0``, decided by ``G' - G_c C G_c^T > 0`` (see :func:`_exact_all_below`).

    *Lyapunov*: with ``Y = [U, D U]`` (N x 2m), ``H = Y^T Y`` (blocks ``U^T D^p U``, p = 0, 1, 2) and
    ``K = [[0, 0], [C, 0]]`` (rate; ``K^T`` for the current form), ``tau J = -I + Y K Y^T``. For
    ``P = (tau/2) I + Y X Y^T``, ``tau (J^T P + P J) = -tau I + Y Z Y^T`` with
    ``Z = -2X + (tau/2)(K + K^T) + K^T H X + X H K``; choosing X with Z = 0 (a 2m x 2m Lyapunov
    equation, solved by scipy) gives ``J^T P + P J = -I``. The certificate is then re-verified for
    the float X exactly: ``P > 0`` iff ``(tau/2) I + Y X Y^T > 0`` and the LMI iff
    ``tau I - Y Z Y^T > 0``, both by :func:`_exact_all_below`.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cert = lyapunov_certificate(net, 0)
    >>> cert.certified, cert.parameters["method"]
    (True, 'explicit P = D^-1')
    """
    network = check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    form = check_choice("form", form, FORMS)
    at = check_choice("at", at, _POINTS)
    method = check_choice("method", method, _METHODS)
    point = memory_points(network, [mu], at)[0]
    G1 = point_gram(point)
    js = spectrum_from_reduced(network, mu, at, form, reduced_eigenvalues(G1, network.c), point)
    if method == "explicit" and not np.all(point.slopes > 0):
        raise InvalidInput(
            f"`method`='explicit' needs every slope phi'(h) > 0 at memory {mu}; got min slope "
            f"{float(point.slopes.min())!r} (use method='lyapunov' or 'auto')"
        )
    if js.verdict is not Verdict.STABLE:
        return _refused(network, js, form)
    if method == "auto":
        method = "explicit" if np.all(point.slopes > 0) else "lyapunov"
    tau = network.tau
    parameters = {
        "status": "built",
        "memory": mu,
        "form": form,
        "at": at,
        "tau": tau,
        "n_units": network.n_units,
        "n_row_types": int(point.rows.shape[0]),
        "max_eigenvalue": js.max_eigenvalue,
        "equilibrium_residual": point.residual,
        "equilibrium_status": point.status,
    }
    where = "the designed memory" if point.status != NewtonStatus.CONVERGED.value else "the refined equilibrium"
    claim = (
        f"memory {mu} is locally exponentially stable: P > 0 and J^T P + P J < 0 for the {form}-form "
        f"Jacobian J at {where} (equilibrium residual {point.residual:.2g})"
    )
    c_exact = to_rational(np.diag(network.c))
    if method == "explicit":
        return _explicit_certificate(network, point, G1, js, form, claim, parameters, c_exact)
    return _lyapunov_solution_certificate(network, point, G1, form, claim, parameters, c_exact, tau)


def _explicit_certificate(network, point, G1, js, form, claim, parameters, c_exact) -> Certificate:
    root = _float_root(G1)
    S = root @ (network.c[:, None] * root)  # G^{1/2} C G^{1/2}: spectrum of V C V^T
    p_min = float(np.min(1.0 / point.slopes)) if form == "rate" else float(np.min(point.slopes))
    lmi_margin = 1.0 - float(scipy.linalg.eigvalsh(symmetric_part(S))[-1])
    verified_float = bool(np.all(point.slopes > 0) and is_definite_float(S - np.eye(S.shape[0]), sign=-1))
    G_exact = _exact_gram(point.rows, point.counts, point.slopes, 1)
    holds, test = _exact_all_below(G_exact, c_exact, flint.fmpq(1))
    verified_exact = bool(holds and np.all(point.slopes > 0))
    parameters = dict(parameters, method="explicit P = D^-1" if form == "rate" else "explicit P = D")
    congruent = "-(tau/2)(J^T P + P J) D" if form == "current" else "-(tau/2)(J^T P + P J)"
    return Certificate(
        claim,
        "lyapunov",
        {"slopes_by_type": point.slopes, "type_counts": point.counts.astype(float), "max_eigenvalue": js.max_eigenvalue},
        residuals=[
            ConstraintResidual(f"P > 0 (P = {'D^-1' if form == 'rate' else 'D'}, diagonal)", p_min),
            ConstraintResidual(f"I - D^1/2 W D^1/2 > 0 (congruent to {congruent})", lmi_margin),
        ],
        verified_float=verified_float,
        verified_exact=verified_exact,
        parameters=parameters,
        exact_data={"G": G_exact, "C": c_exact, "lmi_test": test},
    )


def _lyapunov_solution_certificate(network, point, G1, form, claim, parameters, c_exact, tau) -> Certificate:
    m = network.c.size
    weights = point.counts.astype(float)
    G0 = weighted_gram(point.rows, counts=weights)
    G2 = weighted_gram(point.rows, point.slopes**2, weights)
    H = np.block([[G0, G1], [G1, G2]])
    K = np.zeros((2 * m, 2 * m))
    if form == "rate":
        K[m:, :m] = np.diag(network.c)
    else:
        K[:m, m:] = np.diag(network.c)
    A = K.T @ H - np.eye(2 * m)
    X = symmetric_part(scipy.linalg.solve_continuous_lyapunov(A, -0.5 * tau * (K + K.T)))
    Z = symmetric_part(-2 * X + 0.5 * tau * (K + K.T) + K.T @ H @ X + X @ H @ K)
    root = _float_root(H)
    XH = symmetric_part(root @ X @ root)
    ZH = symmetric_part(root @ Z @ root)
    bulk = 1 if network.n_units > 2 * m else 0  # directions orthogonal to range(Y) exist
    p_min = 0.5 * tau + min(float(scipy.linalg.eigvalsh(XH)[0]), 0.0 if bulk else np.inf)
    lmi_margin = 1.0 - max(float(scipy.linalg.eigvalsh(ZH)[-1]), 0.0 if bulk else -np.inf) / tau
    verified_float = bool(
        is_definite_float(0.5 * tau * np.eye(2 * m) + XH, sign=1) and is_definite_float(ZH / tau - np.eye(2 * m))
    )
    tau_q = to_fmpq(tau)
    H_exact = _exact_gram_blocks(point, m)
    X_exact = to_rational(X)
    K_exact = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        if form == "rate":
            K_exact[m + i, i] = c_exact[i, i]
        else:
            K_exact[i, m + i] = c_exact[i, i]
    KT = K_exact.transpose()
    Z_exact = X_exact * (-2) + (K_exact + KT) * (tau_q / 2) + KT * H_exact * X_exact + X_exact * H_exact * K_exact
    p_holds, p_test = _exact_all_below(H_exact, -X_exact, tau_q / 2)
    lmi_holds, lmi_test = _exact_all_below(H_exact, Z_exact, tau_q)
    parameters = dict(parameters, method="Lyapunov solution P = (tau/2) I + Y X Y^T, Y = [U, D U]")
    return Certificate(
        claim,
        "lyapunov",
        {"X": X, "H": H, "slopes_by_type": point.slopes, "type_counts": weights},
        residuals=[
            ConstraintResidual("P > 0 (P = (tau/2) I + Y X Y^T)", p_min),
            ConstraintResidual("-(J^T P + P J) > 0 (= I - Y Z Y^T / tau)", lmi_margin),
        ],
        verified_float=verified_float,
        verified_exact=bool(p_holds and lmi_holds),
        parameters=parameters,
        exact_data={"X": X_exact, "H": H_exact, "Z": Z_exact, "P_test": p_test, "lmi_test": lmi_test},
    )


def _exact_gram_blocks(point: MemoryPoint, m: int) -> flint.fmpq_mat:
    """``H = [[U^T U, U^T D U], [U^T D U, U^T D^2 U]]`` over the point's rows, exactly."""
    blocks = [_exact_gram(point.rows, point.counts, point.slopes, p) for p in (0, 1, 2)]
    H = flint.fmpq_mat(2 * m, 2 * m)
    for i in range(m):
        for j in range(m):
            H[i, j] = blocks[0][i, j]
            H[i, m + j] = blocks[1][i, j]
            H[m + i, j] = blocks[1][i, j]
            H[m + i, m + j] = blocks[2][i, j]
    return H
