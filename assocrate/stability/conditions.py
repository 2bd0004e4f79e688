"""The paper's analytic conditions and the closed-form spectrum of the equal-overlap design (theory.md §4).

The sufficient condition ``eta max(lambda_max(W), 0) < 1`` and the instability condition, with
their values; for the equal-overlap construction with ``r = q`` the Jacobian spectrum in closed form
(the 2 x 2 matrix K2 and two multiplicities). Verdicts never come from here: they come from the
exact spectra of :mod:`assocrate.stability.spectra`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._validation import check_index
from ..core.design import MemoryNetwork, check_network
from ..core.lowrank import reduced_eigenvalues
from ..core.patterns import PatternStatistics
from ..errors import InvalidInput
from ._linearization import MemoryPoint, is_exact_design
from .spectra import JacobianSpectrum, spectrum_from_reduced

__all__ = [
    "StabilityConditions",
    "closed_form_spectrum",
    "conditions",
    "instability_terms",
    "k2_eigenvalues",
    "pattern_structure_reason",
]


def pattern_structure_reason(rows: np.ndarray, statistics: Callable[[], PatternStatistics]) -> str | None:
    """None if patterns with these row types (and statistics, computed only when needed) are the
    equal-overlap construction with ``r = q`` (the closed form of theory.md §4 applies), else why not."""
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
    """None if the closed form of theory.md §4 applies to `network`, else the reason it does not."""
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
        says which. Use :func:`~assocrate.stability.spectra.jacobian_spectrum` for any network.

    Notes
    -----
    theory.md §4, with ``d_a = phi'(a)``, ``d_b = phi'(b)``, ``delta = d_b - d_a``:

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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> round(closed_form_spectrum(net, 0).max_eigenvalue, 6)
    -0.99978
    """
    network = check_network(network)
    mu = check_index("mu", mu, network.n_patterns)
    reason = _equal_overlap_structure(network)
    if reason is not None:
        raise InvalidInput(f"closed_form_spectrum needs the equal-overlap design of theory.md §4: {reason}")
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
    """The analytic conditions of theory.md §4 with their values.

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
    return float(reduced_eigenvalues(network.type_gram, network.c)[-1])


def conditions(network: MemoryNetwork) -> StabilityConditions:
    """The sufficient and the instability condition of theory.md §4, with their values.

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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> c = conditions(net)
    >>> c.sufficient_holds, c.instability_holds
    (True, False)
    """
    network = check_network(network)
    if not network.is_symmetric:
        raise InvalidInput(
            "conditions are the paper's (theory.md §4), stated for a symmetric W with the betteti rule's alpha and "
            "gamma; got a non-symmetric W = L C R^T (rule='projection' with unequal activities, theory.md §3): use "
            "local_stability (exact complex spectra of every memory)"
        )
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
