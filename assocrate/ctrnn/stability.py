"""Exact stability of the discrete-time map at every memory, and the largest stable step (theory.md §6b).

The map's Jacobian at a memory is ``(1 - gamma) I + gamma W D`` (rate form ``... + gamma D W``),
whose eigenvalues are ``1 + gamma mu`` with ``mu`` the eigenvalues of ``tau J`` (``-1 + eig(W D)``),
which the reduced spectra of :func:`assocrate.stability.local_stability` give exactly in O(k P^2)
without an N x N matrix. For a non-symmetric W (projection rule, unequal activities) the ``mu``
are complex and the map is stable iff every ``|1 + gamma mu| < 1``. A memory stays stable for every
``dt < dt_max = tau min_mu (-2 Re mu / |mu|^2)``, that is ``2 tau / max |mu|`` for real negative ``mu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import readonly
from ..core.lowrank import Spectrum, make_spectrum
from ..errors import InvalidInput
from ..stability import GeneralLocalStability, LocalStability, local_stability
from .map import DiscreteNetwork, check_discrete

__all__ = ["DiscreteMemoryStability", "DiscreteStability", "discrete_stability", "stable_step"]


def stable_step(mu: np.ndarray, tau: float = 1.0) -> float:
    """Largest step dt for which ``|1 + (dt/tau) mu| < 1`` for every eigenvalue `mu` of ``tau J``.

    ``tau min (-2 Re mu / |mu|^2)``: ``2 tau / max |mu|`` for real negative ``mu``; 0 when some
    ``Re mu >= 0`` (no step is stable); inf for no eigenvalue.

    Examples
    --------
    >>> stable_step(np.array([-1.0, -4.0]), tau=1.0)
    0.5
    >>> stable_step(np.array([-1.0, 0.1]))
    0.0
    """
    mu = np.asarray(mu, dtype=complex)
    if mu.size == 0:
        return math.inf
    if np.any(mu.real >= 0.0):
        return 0.0
    return float(tau * np.min(-2.0 * mu.real / np.abs(mu) ** 2))


@dataclass(frozen=True)
class DiscreteMemoryStability:
    """One memory of :class:`DiscreteStability`.

    Attributes
    ----------
    index : int
        Memory mu.
    mu : Spectrum
        Eigenvalues of ``tau J`` at the memory (all N, with multiplicities); complex, sorted by
        real then imaginary part, for a non-symmetric W.
    spectral_radius : float
        ``max |1 + gamma mu|``: the map's spectral radius at the memory.
    dt_max : float
        The memory is stable for every ``dt < dt_max`` (0: for no step; NaN: no equilibrium found).
    continuous_verdict : str
        The verdict of the continuous-time spectrum (``stable``, ``unstable``, ``undecided``).
    """

    index: int
    mu: Spectrum
    spectral_radius: float
    dt_max: float
    continuous_verdict: str

    @property
    def stable(self) -> bool:
        """Spectral radius below 1 at a memory that is an equilibrium."""
        return self.continuous_verdict != "undecided" and self.spectral_radius < 1.0

    def map_eigenvalues(self, gamma: float) -> np.ndarray:
        """All N eigenvalues ``1 + gamma mu`` of the map's Jacobian, in the order of :attr:`mu` (ascending)."""
        return 1.0 + gamma * self.mu.dense()


@dataclass(frozen=True, repr=False)
class DiscreteStability:
    """Exact stability of the discrete-time map at every memory and at the uniform states.

    Attributes
    ----------
    dt, tau, gamma : float
        The step, the time constant and ``gamma = dt / tau``.
    form : str
    memories : tuple of DiscreteMemoryStability
    uniform : tuple of (str, float, float, float)
        Per uniform equilibrium ``s 1`` of the design: ``(kind, s, spectral radius, dt_max)``.
    """

    dt: float
    tau: float
    gamma: float
    form: str
    memories: tuple[DiscreteMemoryStability, ...]
    uniform: tuple[tuple[str, float, float, float], ...]

    @property
    def dt_max(self) -> float:
        """Largest step for which every memory stays stable (``min`` over the memories that are equilibria; NaN for none)."""
        values = np.array([m.dt_max for m in self.memories], dtype=float)
        return float(np.min(values[~np.isnan(values)])) if np.any(~np.isnan(values)) else math.nan

    @property
    def dt_quiescent(self) -> float:
        """The step above which the quiescent state loses stability (NaN without a quiescent state)."""
        values = [row[3] for row in self.uniform if row[0] == "quiescent"]
        return float(values[0]) if values else math.nan

    @property
    def spectral_radii(self) -> np.ndarray:
        """Per memory, the map's spectral radius at this dt, shape (P,)."""
        return readonly(np.array([m.spectral_radius for m in self.memories]))

    @property
    def n_stable(self) -> int:
        """Memories whose map has spectral radius < 1."""
        return sum(m.stable for m in self.memories)

    def to_record(self) -> dict:
        """A JSON-ready dict (what ``assocrate discretize --json`` prints); NaN is written as null."""

        def finite(value: float) -> float | None:
            return None if math.isnan(value) else float(value)

        return {
            "form": self.form,
            "dt": self.dt,
            "tau": self.tau,
            "gamma": self.gamma,
            "dt_max": finite(self.dt_max),
            "dt_quiescent": finite(self.dt_quiescent),
            "n_stable": self.n_stable,
            "memories": [
                {
                    "memory": m.index,
                    "spectral_radius": m.spectral_radius,
                    "dt_max": finite(m.dt_max),
                    "stable": m.stable,
                    "mu_min": float(np.real(m.mu.values[0])),
                    "mu_max": float(np.real(m.mu.values[-1])),
                    "mu_max_abs_imag": float(np.max(np.abs(np.imag(m.mu.values)))),
                    "continuous_verdict": m.continuous_verdict,
                }
                for m in self.memories
            ],
            "uniform_states": [
                {"kind": kind, "rate": rate, "spectral_radius": radius, "dt_max": dt_max}
                for kind, rate, radius, dt_max in self.uniform
            ],
        }

    def summary(self) -> str:
        """Per memory the spectral radius and dt_max; the uniform states."""
        lines = [
            f"Discrete-time stability ({self.form} form): dt={self.dt:g}, tau={self.tau:g}, gamma=dt/tau={self.gamma:g}",
            f"  {self.n_stable} of {len(self.memories)} memories stable; every memory is stable for dt < "
            f"dt_max = {self.dt_max:.6g}",
            f"  {'mu':>4}  {'spectral radius':>15}  {'dt_max':>10}  {'min Re mu':>10}  {'max Re mu':>10}",
        ]
        for m in self.memories:
            lines.append(
                f"  {m.index:>4}  {m.spectral_radius:>15.8g}  {m.dt_max:>10.6g}  {np.real(m.mu.values[0]):>10.6g}  "
                f"{np.real(m.mu.values[-1]):>10.6g}" + ("" if m.stable else "  (unstable)")
            )
        for kind, rate, radius, dt_max in self.uniform:
            lines.append(
                f"  uniform {kind} state s={rate:.4g}: spectral radius {radius:.8g}, stable for dt < {dt_max:.6g}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"DiscreteStability(dt={self.dt:g}, gamma={self.gamma:g}, dt_max={self.dt_max:.6g}, "
            f"n_stable={self.n_stable})"
        )


def _radius(mu: np.ndarray, gamma: float) -> float:
    return float(np.max(np.abs(1.0 + gamma * np.asarray(mu))))


def _memory_spectra(local: LocalStability | GeneralLocalStability, n_units: int, tau: float):
    """Per memory ``(index, spectrum of tau J, equilibrium found, continuous verdict)``.

    A :class:`~assocrate.stability.general.GeneralLocalStability` (projection rule) lists the m
    reduced eigenvalues of J; the other ``N - m`` are ``-1/tau``. Complex ones are kept complex,
    sorted by real then imaginary part.
    """
    if isinstance(local, LocalStability):
        for row in local.memories:
            spectrum = row.spectrum.spectrum
            yield (row.index, make_spectrum(tau * spectrum.values, spectrum.multiplicities),
                   row.spectrum.equilibrium_found, row.verdict.value)
        return
    for row in local.memories:
        values = tau * np.append(row.eigenvalues, -1.0 / tau)
        multiplicities = np.append(np.ones(row.eigenvalues.size, dtype=np.int64), n_units - row.eigenvalues.size)
        if not np.iscomplexobj(values):
            yield row.index, make_spectrum(values, multiplicities), row.equilibrium_found, row.verdict.value
            continue
        order = np.lexsort((values.imag, values.real))
        order = order[multiplicities[order] > 0]
        yield (row.index, Spectrum(readonly(values[order]), readonly(multiplicities[order])),
               row.equilibrium_found, row.verdict.value)


def discrete_stability(discrete: DiscreteNetwork, *, at: str = "equilibrium") -> DiscreteStability:
    """Exact spectra of the map ``v -> (1 - gamma) v + gamma W f(v)`` at every memory, and dt_max.

    The reduced spectra of :func:`assocrate.stability.local_stability` give the eigenvalues
    ``mu`` of ``tau J`` at every memory (O(k P^2), no N x N matrix); the map has ``1 + gamma mu``.
    The uniform states ``s 1`` use the spectrum of W: ``mu = -1 + phi'(gamma_design s) lambda(W)``
    (betteti rule only: under the projection rule ``W 1`` is in general not a multiple of 1, so
    there are no uniform equilibria to report). For a non-symmetric W the ``mu`` are complex.
    The analysis is of the autonomous designed network (u = 0, b = 0); both forms have the same
    spectrum (``W D`` and ``D W`` are similar).

    Parameters
    ----------
    discrete : DiscreteNetwork
        With zero bias.
    at : {"equilibrium", "ideal"}, default "equilibrium"
        As in :func:`assocrate.stability.jacobian_spectrum`.

    Returns
    -------
    DiscreteStability

    Raises
    ------
    InvalidInput
        For a `discrete` with a nonzero bias (its equilibria are not the designed memories).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = discrete_stability(aa.discretize(net, 0.1))
    >>> round(result.dt_max, 6), round(result.dt_quiescent, 6), round(float(result.spectral_radii[0]), 6)
    (1.999928, 1.972984, 0.900022)
    """
    discrete = check_discrete(discrete)
    if np.any(discrete.bias != 0.0):
        raise InvalidInput(
            "`discrete` must have bias b = 0: a bias moves the designed equilibria, whose spectra this reports; "
            f"got max |b| = {float(np.max(np.abs(discrete.bias)))!r}"
        )
    network, gamma, tau = discrete.network, discrete.gamma, discrete.network.tau
    local = local_stability(network, at=at)
    memories = []
    for index, mu, found, verdict in _memory_spectra(local, network.n_units, tau):
        memories.append(
            DiscreteMemoryStability(
                index=index,
                mu=mu,
                spectral_radius=_radius(mu.values, gamma),
                dt_max=stable_step(mu.values, tau) if found else math.nan,
                continuous_verdict=verdict,
            )
        )
    uniform = []
    if isinstance(local, GeneralLocalStability):
        return DiscreteStability(discrete.dt, tau, gamma, discrete.form, tuple(memories), ())
    weights = network.eigenvalues_of_weights()
    for state in local.uniform_states:
        mu = -1.0 + float(network.activation.dphi(state.current)) * weights.values
        uniform.append((state.kind, state.rate, _radius(mu, gamma), stable_step(mu, tau)))
    return DiscreteStability(discrete.dt, tau, gamma, discrete.form, tuple(memories), tuple(uniform))
