"""The result of a spiking retrieval run, and the read-outs it is classified by (theory.md §6b).

The spiking network's state is read through its P + 1 latent traces ``z = R1^T s`` (``R1 = U`` for
the betteti rule, ``[R, 1]`` for the projection rule): the overlaps and the mean rate follow from
them without any N-vector (:func:`latent_features`), and are classified with the rule of
:func:`assocrate.classify` (:func:`frame_classes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.design import MemoryNetwork
from ..errors import InvalidInput
from ..retrieval import DEFAULT_TOL
from ..retrieval._report import format_value, json_float
from ..retrieval.readout import OutcomeCounts, classify_features, ideal_states, readout_matrix

__all__ = ["SpikingResult", "frame_classes", "latent_features", "latent_readout"]


@dataclass(frozen=True, repr=False)
class SpikingResult(OutcomeCounts):
    """A batch of spiking retrieval runs (:func:`simulate_spiking`).

    Attributes
    ----------
    cued : numpy.ndarray of int, shape (B,)
        Memory each cue came from (-1: not stored).
    labels : numpy.ndarray of str, shape (B,)
        Final class of each cue (the classes of :func:`assocrate.retrieval.retrieve`), from the
        time-averaged rates over the last `rate_window` (``window_rates_hz / r_max``).
    matched : numpy.ndarray of int, shape (B,)
        Memory the final state matches (-1: none).
    times : numpy.ndarray, shape (T,)
        Recorded times, in units of tau.
    latents : numpy.ndarray, shape (T, P + 1, B)
        The latent traces ``z = R1^T s`` (currents are ``L1 C z + u``; ``L1 = R1 = U`` for the
        betteti rule, see :attr:`~assocrate.core.design.MemoryNetwork.augmented_factors`).
    overlaps : numpy.ndarray, shape (T, P, B)
        Overlaps of the filtered rates s with every pattern.
    mean_rate : numpy.ndarray, shape (T, B)
        Mean filtered rate (phi units).
    frame_labels : numpy.ndarray of str, shape (T, B)
        Class at every recorded time, from the features averaged over the preceding tau.
    time_to_converge : numpy.ndarray, shape (B,)
        First recorded time from which the class stays the final class (NaN for "none").
    final_states : numpy.ndarray, shape (N, B)
        Filtered rates s (traces, phi units) at the end.
    window_rates_hz : numpy.ndarray, shape (N, B)
        Spike rate of every unit over the last `rate_window` (Hz, per neuron).
    spike_times : numpy.ndarray, shape (S,)
        Spike times (units of tau) of the excitatory neurons.
    spike_neurons : numpy.ndarray of int, shape (S,)
        Neuron index within its copy, ``unit * n + k``.
    spike_cues : numpy.ndarray of int, shape (S,)
        The cue (copy) each spike belongs to.
    neuron, cue, neurons_per_unit, r_max, tau_syn, dt, rate_window, tol, seed, target :
        The settings used.
    dale_signs : dict or None
        Under Dale's law: the smallest and largest weight of every synapse class as built
        (E->I, I->E) and the E->E range of ``U C_EE U^T``, and whether every sign is right.
    """

    cued: np.ndarray
    labels: np.ndarray
    matched: np.ndarray
    times: np.ndarray
    latents: np.ndarray
    overlaps: np.ndarray
    mean_rate: np.ndarray
    frame_labels: np.ndarray
    time_to_converge: np.ndarray
    final_states: np.ndarray
    window_rates_hz: np.ndarray
    spike_times: np.ndarray
    spike_neurons: np.ndarray
    spike_cues: np.ndarray
    patterns: np.ndarray
    neuron: str
    cue: str
    neurons_per_unit: int
    r_max: float
    tau_syn: float
    dt: float
    rate_window: float
    tol: float
    seed: int | None
    target: str
    dale_signs: dict | None






    def _cued_rates(self, active: bool) -> float:
        if not np.any(self.stored):
            return math.nan
        columns = np.flatnonzero(self.stored)
        mask = self.patterns[:, self.cued[columns]] == active
        return float(np.sum(self.window_rates_hz[:, columns] * mask) / max(int(mask.sum()), 1))

    @property
    def rate_active_hz(self) -> float:
        """Mean final spike rate (Hz) of the cued memory's active units, over stored-memory cues."""
        return self._cued_rates(True)

    @property
    def rate_inactive_hz(self) -> float:
        """Mean final spike rate (Hz) of the cued memory's inactive units, over stored-memory cues."""
        return self._cued_rates(False)

    @property
    def mean_time_to_converge(self) -> float:
        """Mean settling time (units of tau) over the cues whose final class is not "none"."""
        settled = self.time_to_converge[np.isfinite(self.time_to_converge)]
        return float(np.mean(settled)) if settled.size else math.nan

    @property
    def overlap_cued(self) -> np.ndarray:
        """Final overlap with the cued memory per cue (NaN for cues not stored)."""
        final = self.overlaps[-1]
        values = final[np.clip(self.cued, 0, None), np.arange(self.n_cues)]
        return np.where(self.stored, values, np.nan)

    def to_record(self) -> dict:
        """A JSON-ready summary (what ``assocrate spike --json`` prints)."""
        clean = json_float
        return {
            "neuron": self.neuron,
            "cue": self.cue,
            "n_cues": self.n_cues,
            "neurons_per_unit": self.neurons_per_unit,
            "r_max": self.r_max,
            "tau_syn": self.tau_syn,
            "dt": self.dt,
            "t_max": float(self.times[-1]),
            "seed": self.seed,
            "success_rate": clean(self.success_rate),
            "classes": self.class_counts(),
            "rate_active_hz": clean(self.rate_active_hz),
            "rate_inactive_hz": clean(self.rate_inactive_hz),
            "mean_overlap_cued": clean(float(np.nanmean(self.overlap_cued)) if np.any(self.stored) else math.nan),
            "mean_time_to_converge": clean(self.mean_time_to_converge),
            "n_spikes": int(self.spike_times.size),
            "dale_signs_ok": None if self.dale_signs is None else bool(self.dale_signs["obeys_dale"]),
        }

    def summary(self) -> str:
        """Success rate, rates of the cued memory's units, classes and settling time."""
        record = self.to_record()
        counts = ", ".join(f"{k} {v}" for k, v in record["classes"].items() if v)

        def fmt(value: float | None, spec: str) -> str:
            return format_value(math.nan if value is None else value, spec)

        lines = [
            f"spiking retrieval: {self.n_cues} cues ({self.cue}), {self.neuron} neurons x {self.neurons_per_unit} "
            f"per unit, r_max={self.r_max:g} Hz, tau_s={self.tau_syn * 1e3:g} ms, t_max={self.times[-1]:g} tau",
            f"  success rate        {fmt(record['success_rate'], '.3f')}",
            f"  final rates         active {fmt(record['rate_active_hz'], '.2f')} Hz, "
            f"inactive {fmt(record['rate_inactive_hz'], '.3f')} Hz (last {self.rate_window:g} tau)",
            f"  final classes       {counts}",
            f"  time to converge    {fmt(record['mean_time_to_converge'], '.3g')} tau",
            f"  spikes              {self.spike_times.size}",
        ]
        if self.dale_signs is not None:
            lines.append(f"  Dale's law          {'obeyed' if self.dale_signs['obeys_dale'] else 'VIOLATED'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"SpikingResult(neuron={self.neuron!r}, n_cues={self.n_cues}, cue={self.cue!r}, "
            f"success_rate={self.success_rate:.3g}, n_spikes={self.spike_times.size})"
        )


def latent_readout(network: MemoryNetwork) -> np.ndarray:
    """``T`` ((P + 1)-square) with ``F^T s = T R1^T s`` for every s: the read-out features from the latent traces.

    ``F = [Xi / |xi|, 1/N]`` (:func:`~assocrate.retrieval.readout.readout_matrix`) and ``R1`` (the
    latent factor, :attr:`~assocrate.core.design.MemoryNetwork.augmented_factors`) have rows that
    depend only on the pattern row, and every column of F is a combination of the columns of R1
    (``R1 = [Xi, 1] A`` for the betteti rule's U and the projection rule's ``[R, 1]``), so
    ``F = R1 T^T`` is solved on the k row types (least squares, exact up to rounding).

    Raises
    ------
    InvalidInput
        If the columns of F are not combinations of those of R1 (no such T).
    """
    reps = network.type_representatives
    R1 = network.augmented_factors[2][reps]
    target = readout_matrix(network)[reps]
    transposed = np.linalg.lstsq(R1, target, rcond=None)[0]
    residual = float(np.max(np.abs(R1 @ transposed - target)))
    if residual > 1e-9 * float(np.max(np.abs(target))):
        raise InvalidInput(
            f"the latent traces R1^T s of this network do not determine the overlaps (residual {residual:.3g}): "
            "the readout [Xi/|xi|, 1/N] is not in the span of the factor R1"
        )
    return transposed.T


def latent_features(network: MemoryNetwork, latents: np.ndarray) -> np.ndarray:
    """Overlaps and mean rate from latent traces ``z = R1^T s``: shape (..., P + 1, B).

    ``F^T s = T z`` with ``T`` of :func:`latent_readout` (for the betteti rule's
    ``U = [Xi - beta, 1]``: ``xi^nu . s = z_nu + beta z_P``), so the overlaps
    ``m^nu = xi^nu . s / |xi^nu|`` and the mean rate need no N-vector.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> features = latent_features(net, net.U.T @ net.memory_rates())
    >>> print(f"{features[0, 0]:.6f} {features[1, 0]:.6f}")
    0.999996 0.200007
    """
    latents = np.asarray(latents, dtype=float)
    return np.einsum("ij,...jb->...ib", latent_readout(network), latents)


def frame_classes(
    network: MemoryNetwork, features: np.ndarray, cued: np.ndarray, tol: float = DEFAULT_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """Classes (labels, matched memory) of states given by their features (..., P + 1, B).

    The rule of :func:`assocrate.classify` (:func:`~assocrate.retrieval.readout.classify_features`
    against :func:`~assocrate.retrieval.readout.ideal_states`): the nearest ideal state in the max
    norm over the P overlaps and the mean rate, "none" beyond `tol`.
    """
    labels, memory, _ = classify_features(np.asarray(features, dtype=float), ideal_states(network), cued, tol)
    return labels, memory
