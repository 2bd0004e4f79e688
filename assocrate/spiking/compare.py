"""Spiking against rate networks: current tracking (the DePasquale check) and retrieval side by side (theory.md §6b).

The rate network ``tau x' = -x + Phi(W x + u)`` started from the same cue provides the target
currents ``W x(t)``; the spiking network's filtered currents are ``W s(t) = L1 C z(t)`` with
``z = R1^T s`` (``L1 = R1 = U`` for the betteti rule). Both are compared through the latent traces
(``||L1 C e||^2 = (C e)^T (L1^T L1) (C e)``), so no N x T array of currents is formed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .._validation import readonly
from ..dynamics import euler_maruyama
from ..retrieval import CueSet, RetrievalResult, retrieve
from ..retrieval._report import json_float
from .realization import SpikingNetwork
from .result import SpikingResult
from .simulate import simulate_spiking

__all__ = ["CurrentTracking", "RetrievalComparison", "TrackingTable", "compare_retrieval", "current_tracking",
           "tracking_table"]


@dataclass(frozen=True, repr=False)
class CurrentTracking:
    """Relative L2 error of the spiking currents against the rate network's (:func:`current_tracking`).

    Attributes
    ----------
    times : numpy.ndarray, shape (T,)
        Units of tau.
    relative_error : numpy.ndarray, shape (B,)
        Per cue, ``sqrt(sum_t ||W s(t) - W x(t)||^2 / sum_t ||W x(t)||^2)``.
    error_over_time : numpy.ndarray, shape (T,)
        ``||W s(t) - W x(t)|| / ||W x(t)||`` averaged over cues.
    neurons_per_unit : int
    """

    times: np.ndarray
    relative_error: np.ndarray
    error_over_time: np.ndarray
    neurons_per_unit: int

    @property
    def mean_error(self) -> float:
        """Relative L2 error averaged over cues."""
        return float(np.mean(self.relative_error))

    def summary(self) -> str:
        """The mean error and its spread over cues."""
        return (
            f"current tracking ({self.neurons_per_unit} neurons per unit): relative L2 error "
            f"{self.mean_error:.4f} (cues {np.min(self.relative_error):.4f}..{np.max(self.relative_error):.4f})"
        )

    def __repr__(self) -> str:
        return f"CurrentTracking(neurons_per_unit={self.neurons_per_unit}, mean_error={self.mean_error:.4g})"


def _rate_latents(network, cues: CueSet, t_max: float, dt: float, record_every: int) -> np.ndarray:
    n_steps = max(1, int(round(t_max / dt)))
    run = euler_maruyama(network, cues.x0, dt, n_steps, sigma=0.0, u=cues.u, record_every=record_every,
                         readout=np.asarray(network.augmented_factors[2]))
    return np.asarray(run.readouts, dtype=float)  # (T, P + 1, B)


def _tracking(network, spiking_latents: np.ndarray, rate_latents: np.ndarray, times: np.ndarray, n: int):
    if spiking_latents.shape != rate_latents.shape:
        raise RuntimeError(f"recorded times differ: spiking {spiking_latents.shape}, rate {rate_latents.shape}")
    L1, c1, _ = network.augmented_factors
    gram = L1.T @ L1
    c = c1[:, None]

    def sq_norm(latents: np.ndarray) -> np.ndarray:  # ||L1 C z||^2 for (T, m, B)
        weighted = c * latents
        return np.einsum("tib,ij,tjb->tb", weighted, gram, weighted)

    diff, ref = sq_norm(spiking_latents - rate_latents), sq_norm(rate_latents)
    per_cue = np.sqrt(diff.sum(axis=0) / ref.sum(axis=0))
    over_time = np.mean(np.sqrt(diff / np.maximum(ref, np.finfo(float).tiny)), axis=1)
    return CurrentTracking(readonly(times), readonly(per_cue), readonly(over_time), n)


def current_tracking(
    sn: SpikingNetwork, cues: CueSet, t_max: float, *, dt: float = 0.01, seed: int | None = None,
    record_every: int = 10, target: str = "numpy",
) -> CurrentTracking:
    """Relative L2 error over time between the spiking and the rate network's recurrent currents.

    Both start from the cue's rates (``s(0) = x(0) = x0``) with the same input; the rate network is
    integrated by Euler's method with the same dt (theory.md §6b: the rate model provides the
    targets). Fluctuations shrink like ``1/sqrt(r_max tau n)``, so the error falls with
    `neurons_per_unit`. Under Dale's law the targets are the designed network's.
    """
    result = simulate_spiking(sn, cues, t_max, dt=dt, seed=seed, record_every=record_every, target=target)
    rate = _rate_latents(sn.network, cues, t_max, dt, record_every)
    return _tracking(sn.network, np.asarray(result.latents), rate, np.asarray(result.times), sn.neurons_per_unit)


@dataclass(frozen=True, repr=False)
class TrackingTable:
    """Current-tracking error against neurons per unit (:func:`tracking_table`)."""

    neurons_per_unit: np.ndarray
    mean_error: np.ndarray
    fluctuation_scale: np.ndarray

    @property
    def decreasing(self) -> bool:
        """Whether the error falls strictly as neurons per unit grow."""
        return bool(np.all(np.diff(self.mean_error) < 0))

    def summary(self) -> str:
        """A table: n, relative L2 error, 1/sqrt(r_max tau n)."""
        lines = ["neurons/unit  relative L2 error  1/sqrt(r_max tau n)"]
        lines += [f"{n:12d}  {e:17.4f}  {f:19.4f}" for n, e, f in zip(self.neurons_per_unit, self.mean_error,
                                                                       self.fluctuation_scale)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"TrackingTable(neurons_per_unit={self.neurons_per_unit.tolist()}, mean_error={np.round(self.mean_error, 4).tolist()})"


def tracking_table(
    sn: SpikingNetwork, cues: CueSet, t_max: float, *, neurons_per_unit: Sequence[int] = (1, 4, 16),
    dt: float = 0.01, seed: int | None = None, target: str = "numpy",
) -> TrackingTable:
    """:func:`current_tracking` for several neurons per unit (same cues, seeds and rate targets)."""
    rate = _rate_latents(sn.network, cues, t_max, dt, 10)
    errors, scales = [], []
    for n in neurons_per_unit:
        variant = replace(sn, neurons_per_unit=int(n))
        result = simulate_spiking(variant, cues, t_max, dt=dt, seed=seed, target=target)
        errors.append(_tracking(sn.network, np.asarray(result.latents), rate, np.asarray(result.times), int(n)).mean_error)
        scales.append(variant.fluctuation_scale)
    return TrackingTable(readonly(np.array(neurons_per_unit, dtype=np.int64)), readonly(np.array(errors)),
                         readonly(np.array(scales)))


@dataclass(frozen=True, repr=False)
class RetrievalComparison:
    """The same cues through the spiking and the rate network (:func:`compare_retrieval`)."""

    spiking: SpikingResult
    rate: RetrievalResult

    def to_record(self) -> dict:
        """Success rates, final overlaps with the cued memory and settling times of both."""
        clean = json_float
        rate_settled = self.rate.time_to_converge[np.isfinite(self.rate.time_to_converge)]
        return {
            "success_rate": {"spiking": clean(self.spiking.success_rate), "rate": clean(self.rate.success_rate)},
            "overlap_cued": {"spiking": clean(float(np.nanmean(self.spiking.overlap_cued))),
                             "rate": clean(self.rate.mean_overlap_cued)},
            "time_to_converge": {"spiking": clean(self.spiking.mean_time_to_converge),
                                 "rate": clean(float(np.mean(rate_settled)) if rate_settled.size else math.nan)},
        }

    def summary(self) -> str:
        """Three lines: success rate, overlap, settling time (spiking vs rate)."""
        record = self.to_record()
        return "\n".join(
            f"{key:17s} spiking {value['spiking']!s:>8.8}  rate {value['rate']!s:>8.8}" for key, value in record.items()
        )

    def __repr__(self) -> str:
        return f"RetrievalComparison(spiking={self.spiking!r}, rate={self.rate!r})"


def compare_retrieval(
    sn: SpikingNetwork, cues: CueSet, t_max: float, *, dt: float = 0.01, seed: int | None = None,
    target: str = "numpy",
) -> RetrievalComparison:
    """Run `cues` through the spiking network and through the rate network (deterministic Euler)."""
    spiking = simulate_spiking(sn, cues, t_max, dt=dt, seed=seed, target=target)
    rate = retrieve(sn.network, cues, t_max=t_max, dt=dt, tol=spiking.tol)
    return RetrievalComparison(spiking, rate)
