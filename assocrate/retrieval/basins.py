"""Basins of attraction: the retrieval probability against cue corruption (theory.md §7).

:func:`basin_profile` draws `trials` cues per corruption level, runs them all in one
:func:`~assocrate.retrieval.retrieve.retrieve` and counts, per level, how many ended at the cued memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._summary import Summarized
from .._validation import as_generator, check_choice, check_index, check_positive_int
from .._validation import readonly as _readonly
from ..core.design import MemoryNetwork
from ..dynamics import integer_seed
from ..errors import InvalidInput
from ._report import last_passing
from .cues import concatenate_cues, make_cues
from .readout import DEFAULT_TOL, OUTCOMES
from .retrieve import retrieve

__all__ = ["BasinProfile", "basin_profile"]

@dataclass(frozen=True, repr=False)
class BasinProfile(Summarized):
    """Retrieval probability against cue corruption (:func:`basin_profile`).

    Attributes
    ----------
    memory : int or None
        The memory probed (None: every memory, `trials` cues each).
    kind : str
        Cue kind.
    levels : numpy.ndarray, shape (F,)
        Corruption levels (deleted or flipped fraction, or noise sigma).
    n_cues : numpy.ndarray of int, shape (F,)
    successes : numpy.ndarray of int, shape (F,)
        Cues that ended at the cued memory.
    class_counts : numpy.ndarray of int, shape (F, 5)
        Final classes per level, columns in the order of `classes`.
    classes : tuple of str
    mean_overlap_cued : numpy.ndarray, shape (F,)
        In the normalisation `normalize`.
    seed : int or None
    boundary, normalize : str
        As in :func:`retrieve`.
    """

    memory: int | None
    kind: str
    levels: np.ndarray
    n_cues: np.ndarray
    successes: np.ndarray
    class_counts: np.ndarray
    classes: tuple[str, ...]
    mean_overlap_cued: np.ndarray
    seed: int | None
    boundary: str = "none"
    normalize: str = "pattern"

    @property
    def probability(self) -> np.ndarray:
        """Retrieval probability per level."""
        return self.successes / self.n_cues

    def edge(self, threshold: float = 0.5) -> float:
        """Largest level up to which the retrieval probability stays >= `threshold` (NaN if never)."""
        return last_passing(self.levels, self.probability, threshold)

    def summary(self) -> str:
        """One row per level: probability and classes."""
        target = "every memory" if self.memory is None else f"memory {self.memory}"
        lines = [f"basin profile of {target} ({self.kind} cues, {int(self.n_cues[0])} per level)"]
        for level, p, counts in zip(self.levels, self.probability, self.class_counts):
            detail = ", ".join(f"{name} {int(c)}" for name, c in zip(self.classes, counts) if c)
            lines.append(f"  {self.kind} {level:6.3f}: P(retrieve) = {p:5.3f}  ({detail})")
        lines.append(f"  retrieved with probability >= 0.5 up to {self.kind} {self.edge(0.5):.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"BasinProfile(kind={self.kind!r}, n_levels={self.levels.size}, edge={self.edge(0.5):.3g})"


def basin_profile(
    network: MemoryNetwork,
    mu: int | None,
    fractions: Sequence[float],
    trials: int,
    seed: int | np.random.Generator | None = None,
    *,
    kind: str = "delete",
    t_max: float = 10.0,
    dt: float = 0.01,
    sigma: float = 0.0,
    boundary: str = "none",
    normalize: str = "pattern",
    tol: float = DEFAULT_TOL,
    dtype: type | np.dtype = np.float64,
) -> BasinProfile:
    """Probability of retrieving memory `mu` from cues of growing corruption.

    All cues of all levels run as one batch.

    Parameters
    ----------
    network : MemoryNetwork
    mu : int or None
        Memory index; None probes every memory with `trials` cues each.
    fractions : sequence of float
        Corruption levels: deleted fraction (``kind="delete"``), flipped fraction (``"flip"``) or
        noise sigma (``"noise"``).
    trials : int
        Cues per level (per memory when `mu` is None).
    seed : int, numpy.random.Generator or None
        Seeds the cues and the dynamical noise.
    kind : {"delete", "flip", "noise"}, default "delete"
    t_max, dt, sigma, boundary, normalize, tol, dtype :
        As in :func:`retrieve`.

    Returns
    -------
    BasinProfile

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> profile = aa.basin_profile(net, 0, [0.2, 0.95], trials=4, seed=0)
    >>> profile.probability.tolist()
    [1.0, 0.0]
    """
    kind = check_choice("kind", kind, ("delete", "flip", "noise"))
    levels = np.asarray(fractions, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or not np.all(np.isfinite(levels)):
        raise InvalidInput(f"`fractions` must be a non-empty 1-D sequence of finite numbers; got {fractions!r}")
    trials = check_positive_int("trials", trials)
    memories = None if mu is None else [check_index("mu", mu, network.n_patterns)]
    rng = as_generator(seed)
    int_seed = integer_seed(seed)
    cue_sets = [make_cues(network, kind, float(level), trials=trials, memories=memories, seed=rng) for level in levels]
    result = retrieve(
        network, concatenate_cues(cue_sets), t_max=t_max, dt=dt, sigma=sigma, boundary=boundary, normalize=normalize,
        seed=rng, tol=tol, dtype=dtype,
    )
    per_level = np.repeat(np.arange(levels.size), cue_sets[0].n_cues)
    counts = np.array([[np.sum(result.labels[per_level == i] == value) for value in OUTCOMES] for i in range(levels.size)])
    overlap = result.overlap_cued
    return BasinProfile(
        memory=None if mu is None else int(mu),
        kind=kind,
        levels=_readonly(levels.copy()),
        n_cues=_readonly(np.bincount(per_level, minlength=levels.size)),
        successes=_readonly(np.bincount(per_level, weights=result.success, minlength=levels.size).astype(int)),
        class_counts=_readonly(counts),
        classes=OUTCOMES,
        mean_overlap_cued=_readonly(np.array([overlap[per_level == i].mean() for i in range(levels.size)])),
        seed=int_seed,
        boundary=result.boundary,
        normalize=result.normalize,
    )

