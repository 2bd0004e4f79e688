"""Exact Jacobian spectra at the stored memories and the stability verdict (theory.md §2, §4).

At a memory the Jacobians are ``J_rate = (-I + D W)/tau`` and ``J_current = (-I + W D)/tau`` with
``D = diag(phi'(h))``. Both have the spectrum of ``(-I + D^{1/2} W D^{1/2})/tau``, and with
``W = U C U^T`` (U is N x m, m = P + 1)

    spec(tau J) = { -1 (x N - rank) } ∪ { -1 + lambda : lambda ∈ spec(C U^T D U) }

so every spectrum costs O(N m^2), or O(k m^2) on the k row types of the patterns, and never an
N x N matrix (the reduction is :func:`assocrate.core.lowrank.reduced_eigenvalues`). A memory is
called *stable* only when its largest eigenvalue is negative beyond the rounding band of the
reduction; a condition that was not met never makes a memory stable.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._validation import check_choice, check_index
from .._validation import readonly as _readonly
from ..core.design import FORMS, MemoryNetwork, check_network
from ..core.equilibria import NewtonStatus
from ..core.lowrank import Spectrum, make_spectrum, reduced_eigenvalues
from ..errors import InvalidInput
from ._linearization import MemoryPoint, memory_points, point_gram

__all__ = [
    "IDEAL_RESIDUAL_ATOL",
    "POINTS",
    "VERDICT_RTOL",
    "JacobianSpectrum",
    "Verdict",
    "jacobian_spectrum",
    "spectrum_at_state",
    "spectrum_from_reduced",
    "verdict_from",
]

#: Where a Jacobian is evaluated: the true equilibrium near a memory, or the designed memory itself.
Point = Literal["equilibrium", "ideal"]
#: Which Jacobian: rate form ``(-I + D W)/tau`` or current form ``(-I + W D)/tau``.
Form = Literal["rate", "current"]
POINTS = ("equilibrium", "ideal")


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
    """STABLE below ``-tolerance``, UNSTABLE above ``tolerance``, UNDECIDED in between.

    Examples
    --------
    >>> verdict_from(-0.5, 1e-12), verdict_from(1e-15, 1e-12)
    (<Verdict.STABLE: 'stable'>, <Verdict.UNDECIDED: 'undecided (largest eigenvalue within rounding of 0)'>)
    """
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
    """The Jacobian spectrum from the reduced eigenvalues ``lambda`` of ``C U^T D U`` at `point`.

    ``(-1 + lambda)/tau`` for each, ``-1/tau`` for the other ``N - rank``; the verdict band is
    ``VERDICT_RTOL * max(1, max |lambda|) / tau``. `status` overrides the point's equilibrium status.
    """
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

    For callers that found the equilibrium themselves (``assocrate.sweeps.capacity``), so
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
        identical; the form is recorded and matters for :func:`~assocrate.stability.lyapunov.lyapunov_certificate`.

    Returns
    -------
    JacobianSpectrum

    Notes
    -----
    theory.md §4: ``D W`` and ``D^{1/2} W D^{1/2}`` are similar (when D > 0; by continuity
    otherwise), and the nonzero eigenvalues of ``D^{1/2} U C U^T D^{1/2}`` are those of
    ``C U^T D U`` (``det(lambda I_N - A B) = lambda^{N-m} det(lambda I_m - B A)``), which has the
    real spectrum of the symmetric ``G^{1/2} C G^{1/2}``, ``G = U^T D U``. Directions where G
    vanishes (units with zero slope, linearly dependent patterns) add to the ``-1`` eigenvalue, so
    the multiplicities always sum to N. With identical pattern rows grouped into k types, G is a
    sum over types weighted by their counts.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> js = jacobian_spectrum(net, 0)
    >>> js.spectrum.size, js.verdict.value, round(js.max_eigenvalue, 6)
    (1000, 'stable', -0.99978)
    """
    network = check_network(network)
    if not network.is_symmetric:
        raise InvalidInput(
            "jacobian_spectrum returns a real spectrum, and a non-symmetric W = L C R^T (rule='projection' with "
            "unequal activities, theory.md §3) has complex Jacobian eigenvalues: use local_stability (exact complex "
            "spectra of every memory)"
        )
    mu = check_index("mu", mu, network.n_patterns)
    at = check_choice("at", at, POINTS)
    form = check_choice("form", form, FORMS)
    point = memory_points(network, [mu], at)[0]
    return spectrum_from_reduced(network, mu, at, form, reduced_eigenvalues(point_gram(point), network.c), point)
