"""Spiking realizations of designed networks, simulated with Brian2 (theory.md §6b).

Each unit of a design becomes Poisson or leaky integrate-and-fire neurons whose spikes drive the
P + 1 latent traces of the low-rank factors (never N² synapses), so the designed memories can be
retrieved by N = 10⁴ spiking neurons. Brian2 is optional (``pip install 'assocrate[spiking]'``):
it is imported when a simulation runs, and importing this package does not need it.

Modules: :mod:`~assocrate.spiking.realization` (the spiking network), :mod:`~assocrate.spiking.model`
(its Brian2 objects), :mod:`~assocrate.spiking.simulate` (runs from cues),
:mod:`~assocrate.spiking.result` (the result and its read-outs), :mod:`~assocrate.spiking.compare`
(against the rate network), :mod:`~assocrate.spiking.lif_check` (Siegert vs Brian2) and
:mod:`~assocrate.spiking.plots` (the raster figure, loaded on first use: it needs matplotlib).
The LIF transfer function itself is an activation: :class:`assocrate.core.lif.LIFTransfer`.
"""

from __future__ import annotations

import importlib

from ._brian import BRIAN2_MISSING, is_brian2_available
from .compare import (
    CurrentTracking,
    RetrievalComparison,
    TrackingTable,
    compare_retrieval,
    current_tracking,
    tracking_table,
)
from .lif_check import LIFRateCheck, lif_rate_check
from .realization import NEURON_MODELS, SpikingNetwork, spiking_realization
from .result import SpikingResult, frame_classes, latent_features
from .simulate import CODEGEN_TARGETS, simulate_spiking

__all__ = [
    "BRIAN2_MISSING",
    "CODEGEN_TARGETS",
    "NEURON_MODELS",
    "CurrentTracking",
    "LIFRateCheck",
    "RetrievalComparison",
    "SpikingNetwork",
    "SpikingResult",
    "TrackingTable",
    "compare_retrieval",
    "current_tracking",
    "frame_classes",
    "is_brian2_available",
    "latent_features",
    "lif_rate_check",
    "raster_figure",
    "simulate_spiking",
    "spiking_realization",
    "tracking_table",
]


def __getattr__(name: str) -> object:
    """Load :func:`~assocrate.spiking.plots.raster_figure` (matplotlib) on first use (PEP 562)."""
    if name != "raster_figure":
        raise AttributeError(f"module 'assocrate.spiking' has no attribute {name!r}")
    value = importlib.import_module(".plots", __name__).raster_figure
    globals()[name] = value
    return value
