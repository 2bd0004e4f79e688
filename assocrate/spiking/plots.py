"""Raster figure of a spiking retrieval run (a matplotlib Figure, as in :mod:`assocrate.plots`: no pyplot).

Save it with :func:`assocrate.plots.save_figure`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .._validation import check_index
from .result import SpikingResult

__all__ = ["raster_figure"]


def raster_figure(result: SpikingResult, cue: int = 0, *, max_units: int | None = 400) -> Figure:
    """Raster of one cue's run (units sorted by memory membership), population rates and overlaps.

    Parameters
    ----------
    result : SpikingResult
    cue : int, default 0
        Which cue (copy) to draw.
    max_units : int, optional
        Draw at most this many units (evenly subsampled within the sort order); None draws all.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels sharing the time axis (units of tau): the raster (units of the cued memory on
        top, then by their first pattern), the mean rate of the cued memory's active and inactive
        units (Hz, from the filtered traces), and the overlaps with every pattern.
    """
    cue = check_index("cue", cue, result.n_cues)
    patterns = np.asarray(result.patterns)
    n_units = patterns.shape[0]
    n = result.neurons_per_unit
    mu = int(result.cued[cue])
    membership = patterns.astype(int)
    first = np.where(membership.any(axis=1), np.argmax(membership, axis=1), patterns.shape[1])
    key = (np.logical_not(patterns[:, mu]) if mu >= 0 else np.zeros(n_units, bool), first)
    order = np.lexsort(key[::-1])
    if max_units is not None and order.size > max_units:
        order = order[np.linspace(0, order.size - 1, max_units).astype(int)]
    row = np.full(n_units, -1)
    row[order] = np.arange(order.size)
    mask = result.spike_cues == cue
    units = result.spike_neurons[mask] // n
    rows = row[units]
    keep = rows >= 0

    fig = Figure(figsize=(8, 7), layout="constrained")
    ax_raster, ax_rate, ax_overlap = fig.subplots(3, 1, sharex=True, height_ratios=[3, 1, 1])
    ax_raster.scatter(result.spike_times[mask][keep], rows[keep], s=1, marker="|", color="k", linewidths=0.5)
    if mu >= 0:
        ax_raster.axhline(np.sum(patterns[order, mu]) - 0.5, color="tab:red", lw=0.8)
    ax_raster.set_ylabel("unit (sorted by memory)")
    ax_raster.set_ylim(-0.5, order.size - 0.5)
    ax_raster.invert_yaxis()
    ax_raster.set_title(f"{result.neuron} neurons, cue {cue} ({result.cue}, memory {mu}): {result.labels[cue]}")
    overlaps = result.overlaps[:, :, cue]
    if mu >= 0:
        size = patterns[:, mu].sum()
        active = overlaps[:, mu] * result.r_max
        inactive = (result.mean_rate[:, cue] * n_units - overlaps[:, mu] * size) / max(n_units - size, 1) * result.r_max
        ax_rate.plot(result.times, active, label="active units", color="tab:red")
        ax_rate.plot(result.times, inactive, label="inactive units", color="tab:blue")
    ax_rate.plot(result.times, result.mean_rate[:, cue] * result.r_max, label="all units", color="0.5", lw=0.8)
    ax_rate.set_ylabel("rate (Hz)")
    ax_rate.legend(fontsize="small", loc="upper right")
    for nu in range(overlaps.shape[1]):
        ax_overlap.plot(result.times, overlaps[:, nu], lw=1.5 if nu == mu else 0.8)
    ax_overlap.set_ylabel("overlap")
    ax_overlap.set_xlabel("time (tau)")
    return fig
