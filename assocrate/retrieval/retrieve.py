"""Retrieval runs from a batch of cues (theory.md §7).

:func:`retrieve` starts the rate dynamics from every cue at once, runs batched Euler–Maruyama
through the low-rank factors while reading out the overlaps, and classifies where each trajectory
ends (:func:`assocrate.retrieval.basins.basin_profile` runs it over levels of cue corruption).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._budget import check_cost, retrieval_cost
from .._summary import Summarized
from .._validation import as_generator, check_positive, check_positive_int
from .._validation import readonly as _readonly
from ..core.design import MemoryNetwork
from ..dynamics import euler_maruyama
from ..errors import InvalidInput, InvalidType
from ._report import format_value, json_float
from .cues import CueSet, rate_levels
from .readout import (
    DEFAULT_TOL,
    NORMALIZATIONS,
    Outcome,
    OutcomeCounts,
    check_normalize,
    check_tol,
    classify_features,
    ideal_states,
    overlap_scale,
    readout_matrix,
)

__all__ = ["RetrievalResult", "retrieve", "settling_times"]

@dataclass(frozen=True, repr=False)
class RetrievalResult(OutcomeCounts, Summarized):
    """Outcome of a batch of retrieval runs (:func:`retrieve`).

    Attributes
    ----------
    cued : numpy.ndarray of int, shape (B,)
        Memory each cue came from (-1: not stored).
    labels : numpy.ndarray of str, shape (B,)
        Final class of each trajectory (see :class:`~assocrate.retrieval.Outcome`).
    matched : numpy.ndarray of int, shape (B,)
        Memory the final state matches (-1: none).
    times : numpy.ndarray, shape (T,)
        Recorded times: ``k dt`` for every `record_every`-th step k, and the last step.
    overlaps : numpy.ndarray, shape (T, P, B)
        Overlap time courses ``m^nu(t)``, normalised as `normalize` says.
    mean_rate : numpy.ndarray, shape (T, B)
    frame_labels : numpy.ndarray of str, shape (T, B)
        Class of the state at every recorded time.
    time_to_converge : numpy.ndarray, shape (B,)
        First recorded time from which the class stays equal to the final class (NaN when the
        final class is ``"none"``).
    final_states : numpy.ndarray, shape (N, B)
    ideal_cued, ideal_other : float
        ``phi(b)`` and ``(1 - q) phi(a) + q phi(b)`` (the nominal values; with ``normalize="nq"``
        a pattern of size ``|xi|`` scales them by ``|xi| / (N q)``).
    cue, sigma, dt, tol, dtype, seed :
        The settings used.
    boundary : str
        Treatment of rates outside [0, 1] (see :func:`~assocrate.dynamics.euler_maruyama`).
    normalize : str
        Overlap normalisation: ``"pattern"`` (``x . xi / |xi|``) or ``"nq"`` (``x . xi / (N q)``,
        q the network's design q).
    n_steps : int
        Euler steps taken, from t = 0 to ``n_steps dt``.
    """

    cued: np.ndarray
    labels: np.ndarray
    matched: np.ndarray
    times: np.ndarray
    overlaps: np.ndarray
    mean_rate: np.ndarray
    frame_labels: np.ndarray
    time_to_converge: np.ndarray
    final_states: np.ndarray
    ideal_cued: float
    ideal_other: float
    cue: str
    sigma: float
    dt: float
    tol: float
    dtype: str
    seed: int | None
    boundary: str
    normalize: str
    n_steps: int





    @property
    def final_overlaps(self) -> np.ndarray:
        """Overlaps of the final states (P, B)."""
        return self.overlaps[-1]

    @property
    def overlap_cued(self) -> np.ndarray:
        """Final overlap with the cued memory per cue (NaN for cues that are not stored)."""
        final = self.final_overlaps
        values = final[np.clip(self.cued, 0, None), np.arange(self.n_cues)]
        return np.where(self.stored, values, np.nan)

    @property
    def overlap_other(self) -> np.ndarray:
        """Mean final overlap with the memories other than the cued one, per cue."""
        final = self.final_overlaps
        mask = np.ones_like(final, dtype=bool)
        mask[self.cued[self.stored], np.flatnonzero(self.stored)] = False
        return np.sum(final * mask, axis=0) / np.maximum(mask.sum(axis=0), 1)

    @property
    def mean_overlap_cued(self) -> float:
        """Mean over stored-memory cues of the final overlap with the cued memory."""
        return float(np.nanmean(self.overlap_cued)) if np.any(self.stored) else math.nan

    @property
    def mean_overlap_other(self) -> float:
        """Mean over cues of the mean final overlap with the other memories."""
        return float(np.mean(self.overlap_other))

    def confusion(self) -> dict[str, dict[str, int]]:
        """Counts per cued memory (rows, ``"-1"`` for cues not stored) of where the cues ended:
        ``"memory k"`` for the matched memory k, else the class (quiescent, all-on, none)."""
        table: dict[str, dict[str, int]] = {}
        for mu, label, matched in zip(self.cued, self.labels, self.matched):
            end = f"memory {int(matched)}" if matched >= 0 else str(label)
            row = table.setdefault(str(int(mu)), {})
            row[end] = row.get(end, 0) + 1
        return table

    def labels_at(self, t: float) -> np.ndarray:
        """Classes at the last recorded time <= `t`."""
        k = max(int(np.searchsorted(self.times, t + 1e-9 * max(1.0, abs(t)), side="right")) - 1, 0)
        return self.frame_labels[k]

    def to_record(self) -> dict:
        """A JSON-ready summary (what ``assocrate retrieve --json`` prints)."""
        converged = self.time_to_converge[np.isfinite(self.time_to_converge)]
        return {
            "cue": self.cue,
            "n_cues": self.n_cues,
            "sigma": self.sigma,
            "boundary": self.boundary,
            "normalize": self.normalize,
            "overlap": NORMALIZATIONS[self.normalize],
            "dt": self.dt,
            "n_steps": self.n_steps,
            "t_max": float(self.times[-1]),
            "tol": self.tol,
            "seed": self.seed,
            "success_rate": json_float(self.success_rate),
            "mean_overlap_cued": json_float(self.mean_overlap_cued),
            "mean_overlap_other": json_float(self.mean_overlap_other),
            "ideal_overlap_cued": self.ideal_cued,
            "ideal_overlap_other": self.ideal_other,
            "classes": self.class_counts(),
            "per_memory": self.per_memory(),
            "confusion": self.confusion(),
            "mean_time_to_converge": json_float(float(np.mean(converged)) if converged.size else math.nan),
        }

    def summary(self) -> str:
        """Success rate, overlaps against their ideal values, classes and convergence time."""
        record = self.to_record()
        counts = ", ".join(f"{k} {v}" for k, v in record["classes"].items() if v)
        time_text = (
            f"{record['mean_time_to_converge']:.3g}" if record["mean_time_to_converge"] is not None else "n/a"
        )
        lines = [
            f"retrieval: {self.n_cues} cues ({self.cue}), sigma={self.sigma:g}, boundary={self.boundary}, dt={self.dt:g}, "
            f"{self.n_steps} steps to t={self.times[-1]:g}, tol={self.tol:g}",
            f"  overlap m = {NORMALIZATIONS[self.normalize]} (normalize={self.normalize!r})",
            f"  success rate        {format_value(self.success_rate, '.3f')}",
            f"  overlap with cued   {format_value(self.mean_overlap_cued, '.4f')} (ideal phi(b) = {self.ideal_cued:.4f})",
            f"  overlap with others {format_value(self.mean_overlap_other, '.4f')} "
            f"(ideal (1-q)phi(a)+q phi(b) = {self.ideal_other:.4f})",
            f"  final classes       {counts}",
            f"  time to converge    {time_text} (mean over cues that settled)",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"RetrievalResult(n_cues={self.n_cues}, cue={self.cue!r}, success_rate={self.success_rate:.3g}, "
            f"n_times={self.times.size}, n_patterns={self.overlaps.shape[1]})"
        )



def settling_times(times: np.ndarray, frame_labels: np.ndarray) -> np.ndarray:
    """First recorded time from which each trajectory's class stays its final class.

    Parameters
    ----------
    times : numpy.ndarray, shape (T,)
    frame_labels : numpy.ndarray of str, shape (T, B)
        The class at every recorded time (:func:`~assocrate.retrieval.readout.classify_features`).

    Returns
    -------
    numpy.ndarray, shape (B,)
        NaN where the final class is ``"none"`` (a trajectory that settled nowhere).

    Examples
    --------
    >>> labels = np.array([["none", "quiescent"], ["cued memory", "quiescent"], ["cued memory", "none"]])
    >>> settling_times(np.array([0.0, 1.0, 2.0]), labels).tolist()
    [1.0, nan]
    """
    final = frame_labels[-1]
    same = frame_labels == final[None, :]
    # index of the first frame of the final run of equal labels
    differs_after = np.cumsum(~same[::-1], axis=0)[::-1]  # number of differing frames at or after k
    first = np.argmax(differs_after == 0, axis=0)
    result = times[first].astype(float)
    result[final == Outcome.NONE.value] = np.nan
    return result


def retrieve(
    network: MemoryNetwork,
    cues: CueSet,
    *,
    t_max: float | None = None,
    dt: float = 0.01,
    n_steps: int | None = None,
    sigma: float = 0.0,
    boundary: str = "none",
    normalize: str = "pattern",
    seed: int | np.random.Generator | None = None,
    record_every: int = 10,
    tol: float = DEFAULT_TOL,
    dtype: type | np.dtype = np.float64,
    progress: Callable[[int, int], None] | bool | None = None,
) -> RetrievalResult:
    """Run the rate dynamics from every cue at once and classify where each trajectory ends.

    Parameters
    ----------
    network : MemoryNetwork
    cues : CueSet
        From :func:`~assocrate.retrieval.make_cues` or :func:`~assocrate.retrieval.nonstored_cues`.
    t_max : float, optional
        Duration; the run takes ``n_steps = round(t_max / dt)`` steps on the grid ``t_k = k dt``,
        ``k = 0, ..., n_steps`` (both 0 and t_max included). Default 10.0 (theory.md §7 uses
        t in [0, 10]): 1000 steps of dt = 0.01, 1001 time points.
    dt : float, default 0.01
        Euler–Maruyama step.
    n_steps : int, optional
        The number of steps instead of `t_max` (not both): the grid is ``t_k = k dt``,
        ``k = 0, ..., n_steps``. The authors' scripts integrate on the 1000 points
        ``t = 0, 0.01, ..., 9.99``, i.e. ``n_steps=999`` (:func:`assocrate.presets.paper`).
    sigma : float, default 0.0
        Noise amplitude (``sigma sqrt(dt)`` per step); 0 is the deterministic Euler method.
    boundary : {"none", "reflect", "clip"}, default "none"
        Treatment of rates that noise pushes out of [0, 1], as in
        :func:`~assocrate.dynamics.euler_maruyama`: ``"none"`` is the paper's model;
        ``"reflect"`` raises the mean rate of inactive units by ``sigma sqrt(tau / pi)`` (+0.056
        at sigma = 0.1) and lowers active ones by as much, so the overlap with the cued memory
        drops by about that amount and the others rise by about ``(1 - 2 q)`` times it
        (reference experiment, sigma = 0.1: cued 1.001 -> 0.944, others 0.203 -> 0.236);
        ``"clip"`` nearly as much (clipping every step tends to reflection as dt -> 0).
    normalize : {"pattern", "nq"}, default "pattern"
        Overlaps reported as ``x . xi^nu / |xi^nu|`` or, like the authors' figures,
        ``x . xi^nu / (N q)`` with the network's q (see :func:`~assocrate.retrieval.overlaps`).
        The classification does not depend on it.
    seed : int, numpy.random.Generator or None
        Seed of the dynamical noise.
    record_every : int, default 10
        Overlaps are recorded every this many steps.
    tol : float, default 0.15
        Classification tolerance (see :func:`~assocrate.retrieval.classify`).
    dtype : numpy.float64 or numpy.float32
    progress : callable or bool, optional
        Called as ``progress(step, n_steps)`` while the dynamics run; ``True``: a rich progress bar
        on stderr (only on a terminal).

    Returns
    -------
    RetrievalResult

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = aa.retrieve(net, aa.make_cues(net, "delete", 0.4, seed=0))
    >>> result.success_rate, result.class_counts()["cued memory"]
    (1.0, 6)
    >>> result.n_steps, float(result.times[-1]), result.boundary, result.normalize
    (1000, 10.0, 'none', 'pattern')
    """
    if not isinstance(cues, CueSet):
        raise InvalidType(f"`cues` must be a CueSet (see make_cues); got {type(cues).__name__}")
    if cues.x0.shape[0] != network.n_units:
        raise InvalidInput(f"`cues` must have {network.n_units} units; got {cues.x0.shape[0]}")
    if np.any(cues.cued >= network.n_patterns):
        raise InvalidInput(f"`cues` name memories beyond the network's {network.n_patterns}")
    dt = check_positive("dt", dt)
    if n_steps is None:
        t_max = check_positive("t_max", 10.0 if t_max is None else t_max)
        if dt > t_max:
            raise InvalidInput(f"`dt` must be <= `t_max`; got dt={dt!r}, t_max={t_max!r}")
        n_steps = max(1, int(round(t_max / dt)))
    elif t_max is not None:
        raise InvalidInput(f"give `t_max` or `n_steps`, not both; got t_max={t_max!r}, n_steps={n_steps!r}")
    else:
        n_steps = check_positive_int("n_steps", n_steps)
    normalize = check_normalize(normalize)
    tol = check_tol(tol)
    record_every = check_positive_int("record_every", record_every)
    if not isinstance(seed, np.random.Generator):
        as_generator(seed)  # refuse a bad seed even when no noise is drawn
    batch = cues.x0.shape[1]
    check_cost(
        retrieval_cost(network.n_units, network.n_patterns, batch, n_steps, record_every, 4 if dtype in (np.float32, "float32") else 8),
        f"retrieve: N={network.n_units}, P={network.n_patterns}, {batch} cues, {n_steps} steps",
        "the number of cues (`trials`), the steps (`t_max` / `dt` or `n_steps`) or use float32",
    )
    readout = readout_matrix(network)
    run = euler_maruyama(
        network, cues.x0, dt, n_steps, sigma=sigma, u=cues.u, boundary=boundary, seed=seed,
        record_every=record_every, readout=readout, dtype=dtype, progress=progress,
    )
    features = run.readouts.astype(np.float64)  # (T, P + 1, B)
    ideals = ideal_states(network)
    frame_labels, frame_matched, _ = classify_features(features, ideals, cues.cued, tol)
    labels, matched = frame_labels[-1], frame_matched[-1]
    phi_a, phi_b = rate_levels(network)
    return RetrievalResult(
        cued=_readonly(np.array(cues.cued)),
        labels=_readonly(labels),
        matched=_readonly(matched),
        times=run.times,
        overlaps=_readonly(
            features[:, :-1, :] if normalize == "pattern"
            else features[:, :-1, :] * overlap_scale(network.patterns, network.q)[:, None]
        ),
        mean_rate=_readonly(features[:, -1, :]),
        frame_labels=_readonly(frame_labels),
        time_to_converge=_readonly(settling_times(run.times, frame_labels)),
        final_states=_readonly(run.final.astype(np.float64)),
        ideal_cued=phi_b,
        ideal_other=(1.0 - network.q) * phi_a + network.q * phi_b,
        cue=cues.spec,
        sigma=run.sigma,
        dt=dt,
        tol=tol,
        dtype=run.dtype,
        seed=run.seed,
        boundary=run.boundary,
        normalize=normalize,
        n_steps=run.n_steps,
    )
