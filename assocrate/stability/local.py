"""Local stability of every stored memory at once: spectra, verdicts, conditions, uniform states.

:func:`local_stability` gathers, for each memory, the exact Jacobian spectrum of
:mod:`assocrate.stability.spectra` (all P together at designed memories), the paper's conditions of
:mod:`assocrate.stability.conditions` and the uniform equilibria (theory.md §4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._summary import Summarized
from .._validation import check_choice
from .._validation import readonly as _readonly
from ..core.design import MemoryNetwork, check_network
from ..core.equilibria import UniformState, uniform_states
from ..core.identity import identity_verdict
from ..core.lowrank import reduced_eigenvalues
from ._linearization import (
    MemoryPoint,
    designed_residuals,
    is_exact_design,
    iter_ideal_grams,
    memory_points,
    point_gram,
)
from .conditions import StabilityConditions, conditions
from .general import general_local_stability
from .spectra import POINTS, JacobianSpectrum, Point, Verdict, spectrum_from_reduced

__all__ = ["LocalStability", "MemoryStability", "local_stability"]


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
    owner : int or None
        The memory whose equilibrium the point is (:mod:`assocrate.core.identity`: the l1-nearest
        designed state); None when no memory's is. An equilibrium that Newton found from memory
        ``index`` but that is another memory's says nothing about memory ``index``.
    """

    index: int
    spectrum: JacobianSpectrum
    sufficient_value: float
    owner: int | None

    @property
    def identified(self) -> bool:
        """Whether the point is this memory's own equilibrium (``owner == index``)."""
        return self.owner == self.index

    @property
    def max_eigenvalue(self) -> float:
        """Largest Jacobian eigenvalue."""
        return self.spectrum.max_eigenvalue

    @property
    def verdict(self) -> Verdict:
        """From the exact spectrum (never from a condition); UNDECIDED when the point is not this memory's."""
        return self.spectrum.verdict if self.identified else Verdict.UNDECIDED

    @property
    def sufficient_holds(self) -> bool:
        """The sufficient condition at this memory's point."""
        return self.sufficient_value < 1.0

    @property
    def slowest_time_constant(self) -> float:
        """``tau / (1 - lambda_max)`` of the slowest mode (negative: growth time of an unstable mode)."""
        return float(self.spectrum.time_constants(1)[0])


@dataclass(frozen=True, repr=False)
class LocalStability(Summarized):
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
                    "owner": m.owner,
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
            if not m.identified:
                lines.append(f"{m.index:>4}  {'n/a':>11}  {identity_verdict(m.index, m.owner)}")
                continue
            slowest = m.slowest_time_constant
            slowest_text = f"{slowest:.6g}" if slowest > 0 else f"grows {-slowest:.3g}"
            sufficient = f"{m.sufficient_value:.3g} {'yes' if m.sufficient_holds else 'no'}"
            lines.append(
                f"{m.index:>4}  {m.max_eigenvalue:>11.5g}  {m.verdict.name.lower():<10}  {slowest_text:>15}  "
                f"{sufficient:>16}  {instability:>17}  {m.spectrum.equilibrium_residual:>9.2g}"
            )
        lines += ["", "conditions (theory.md §4):", *("  " + line for line in c.summary().splitlines())]
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
        As in :func:`~assocrate.stability.spectra.jacobian_spectrum`. At the designed memories
        (exact designs, or ``"ideal"``) all P spectra cost O(k P^2 + q k P^3) together; refined
        equilibria cost a Newton solve each.

    Returns
    -------
    LocalStability or GeneralLocalStability
        For a projection-rule design a
        :class:`~assocrate.stability.general.GeneralLocalStability` (exact reduced spectra, complex
        for a non-symmetric W; it states that the paper's conditions do not apply).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), 0.1, 0.95)
    >>> result = local_stability(net)
    >>> result.n_stable, [s.kind for s in result.uniform_states]
    (6, ['quiescent', 'intermediate', 'all-on'])
    """
    network = check_network(network)
    at = check_choice("at", at, POINTS)
    if network.rule != "betteti":  # the paper's conditions and uniform states are the betteti rule's
        return general_local_stability(network, at=at)
    memories = list(range(network.n_patterns))
    found = conditions(network)
    lambda_plus = max(found.lambda_max_W, 0.0)
    rows = []
    exact = is_exact_design(network)
    if at == "ideal" or exact:
        xi = network.row_types.rows  # one row per type: enough for which levels occur
        residuals = designed_residuals(network)
        status = "exact design" if exact else "designed memory (not refined)"
        for mu, gram in zip(memories, iter_ideal_grams(network)):  # one (P+1) x (P+1) Gram at a time
            active = xi[:, mu]
            eta = max(found.d_b if active.any() else 0.0, found.d_a if not active.all() else 0.0)
            point = MemoryPoint(xi[:0], np.zeros(0), np.zeros(0), eta, float(residuals[mu]), status, 0.0)
            spectrum = spectrum_from_reduced(network, mu, at, "rate", reduced_eigenvalues(gram, network.c), point)
            rows.append(MemoryStability(mu, spectrum, eta * lambda_plus, mu))
    else:
        for mu in memories:
            point = memory_points(network, [mu], at)[0]
            reduced = reduced_eigenvalues(point_gram(point), network.c)
            spectrum = spectrum_from_reduced(network, mu, at, "rate", reduced, point)
            rows.append(MemoryStability(mu, spectrum, point.eta * lambda_plus, point.owner))
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
