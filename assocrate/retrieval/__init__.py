"""Retrieval: cues, overlaps, classification of final states and basins (theory.md §7).

A retrieval experiment starts the rate dynamics from cues (corrupted stored patterns, noisy
rates, or an input pulse), runs batched Euler–Maruyama through the low-rank factors and
classifies where each trajectory ends: the cued memory, another memory, the quiescent state,
the all-on state, or none of them.

Modules: :mod:`~assocrate.retrieval.cues` (cue makers), :mod:`~assocrate.retrieval.readout`
(overlaps and classification), :mod:`~assocrate.retrieval.retrieve` (runs),
:mod:`~assocrate.retrieval.basins` (retrieval against cue corruption) and
:mod:`~assocrate.retrieval.capacity` (one cell of the capacity experiment, which
:func:`assocrate.sweeps.capacity` runs).
"""

from .basins import BasinProfile, basin_profile
from .cues import (
    CUE_KINDS,
    CueSet,
    add_noise,
    cue_rates,
    delete_active,
    flip,
    input_cue,
    make_cues,
    nonstored_cues,
    parse_cue,
    user_cues,
)
from .readout import DEFAULT_TOL, OUTCOMES, Classification, Outcome, classify, ideal_overlaps, overlaps
from .retrieve import RetrievalResult, retrieve

__all__ = [
    "CUE_KINDS",
    "DEFAULT_TOL",
    "OUTCOMES",
    "BasinProfile",
    "Classification",
    "CueSet",
    "Outcome",
    "RetrievalResult",
    "add_noise",
    "basin_profile",
    "classify",
    "cue_rates",
    "delete_active",
    "flip",
    "ideal_overlaps",
    "input_cue",
    "make_cues",
    "nonstored_cues",
    "overlaps",
    "parse_cue",
    "retrieve",
    "user_cues",
]
