"""Overlaps of states with the stored patterns and the classification of states (theory.md §7).

Overlap with pattern nu, two normalisations (:data:`NORMALIZATIONS`):

- ``"pattern"`` (default): ``m^nu = x . xi^nu / |xi^nu|``, each pattern's own number of active
  units, so the rescaled memory ``x^mu = phi(a) + (phi(b) - phi(a)) xi^mu`` has ``m^mu = phi(b)``
  exactly and ``m^nu = (1 - r_mu,nu) phi(a) + r_mu,nu phi(b) ~ (1 - q) phi(a) + q phi(b)`` for the
  others, whatever the pattern sizes;
- ``"nq"``: ``m^nu = x . xi^nu / (N q)`` with one q for all patterns, the literal formula of
  theory.md §7 and of the authors' figures: for random patterns ``m^mu = phi(b) |xi^mu| / (N q)``
  scatters around phi(b) (above 1 for the larger patterns when ``phi(b) ~ 1``).

The two agree for patterns of size ``q N``. A state is classified by its ``"pattern"`` overlaps
and mean rate: the nearest ideal state in the max norm (the labels do not depend on the
normalisation chosen for reporting).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_fraction, check_patterns, check_positive
from .._validation import readonly as _readonly
from ..core.design import MemoryNetwork
from ..core.equilibria import uniform_states
from ..errors import InvalidInput

__all__ = [
    "OutcomeCounts",
    "DEFAULT_TOL",
    "NORMALIZATIONS",
    "OUTCOMES",
    "Classification",
    "Ideals",
    "Outcome",
    "check_tol",
    "classify",
    "classify_features",
    "check_normalize",
    "ideal_overlaps",
    "ideal_states",
    "overlaps",
    "overlap_scale",
    "readout_matrix",
]

#: Default classification tolerance (max-norm distance in overlap units to an ideal state).
DEFAULT_TOL = 0.15

#: Overlap normalisations, with their formula (the first is the default).
NORMALIZATIONS = {"pattern": "x . xi^nu / |xi^nu|", "nq": "x . xi^nu / (N q)"}


def check_normalize(normalize: object) -> str:
    """`normalize` if it is one of :data:`NORMALIZATIONS`, else raise naming it."""
    return check_choice("normalize", normalize, tuple(NORMALIZATIONS))


def overlap_scale(patterns: np.ndarray, q: float) -> np.ndarray:
    """``|xi^nu| / (N q)`` per pattern (P,): turns ``"pattern"`` overlaps into ``"nq"`` ones."""
    xi = np.asarray(patterns)
    return np.count_nonzero(xi, axis=0) / (q * xi.shape[0])


def _overlap_weights(patterns: np.ndarray, q: float | None) -> np.ndarray:
    """Read-out matrix (N, P) with columns ``xi^nu / (N q_nu)``."""
    xi = np.asarray(patterns, dtype=float)
    sizes = xi.sum(axis=0) if q is None else np.full(xi.shape[1], q * xi.shape[0])
    if np.any(sizes <= 0):
        raise InvalidInput("every pattern must have at least one active unit to define its overlap")
    return xi / sizes


def overlaps(
    X: np.ndarray, patterns: np.ndarray, *, normalize: str | None = None, q: float | None = None
) -> np.ndarray:
    """Overlaps ``m^nu = x·xi^nu / |xi^nu|`` or ``x·xi^nu / (N q)`` of states with patterns.

    Parameters
    ----------
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates.
    patterns : array_like of 0/1, shape (N, P)
    normalize : {"pattern", "nq"}, optional
        ``"pattern"``: divide by each pattern's own number of active units ``|xi^nu|``, so that
        ``m^mu = phi(b)`` at the rescaled memory even when pattern sizes differ. ``"nq"``: divide
        by ``N q`` for every pattern (the literal formula of theory.md §7 and the authors'
        figures). Default: ``"nq"`` when `q` is given, else ``"pattern"``.
    q : float, optional
        The activity of ``"nq"`` (e.g. the design's nominal q); default the patterns' mean
        activity ``sum |xi^nu| / (N P)``. Refused with ``normalize="pattern"``, which has no q.

    Returns
    -------
    numpy.ndarray, shape (P,) or (P, B)

    Examples
    --------
    >>> import assocrate as aa
    >>> xi = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    >>> x = np.array([1.0, 1.0, 0.0, 0.0])
    >>> aa.overlaps(x, xi)
    array([1. , 0.5])
    >>> aa.overlaps(x, xi, normalize="nq", q=0.25)  # x . xi / (4 * 0.25)
    array([2., 1.])
    """
    xi = check_patterns("patterns", patterns)
    X = np.asarray(X, dtype=float)
    if X.shape[:1] != (xi.shape[0],) or X.ndim > 2:
        raise InvalidInput(f"`X` must have shape ({xi.shape[0]},) or ({xi.shape[0]}, B); got {X.shape}")
    normalize = check_normalize(("pattern" if q is None else "nq") if normalize is None else normalize)
    if normalize == "pattern":
        if q is not None:
            raise InvalidInput(f"`q` is used only with normalize='nq' (x . xi / (N q)); got q={q!r}, normalize='pattern'")
        return _overlap_weights(xi, None).T @ X
    q = float(np.count_nonzero(xi)) / xi.size if q is None else check_fraction("q", q)
    return _overlap_weights(xi, q).T @ X


def readout_matrix(network: MemoryNetwork) -> np.ndarray:
    """Features read out along a trajectory: the P overlaps and the mean rate (N, P + 1)."""
    weights = _overlap_weights(network.patterns, None)
    return np.hstack([weights, np.full((network.n_units, 1), 1.0 / network.n_units)])


def ideal_overlaps(network: MemoryNetwork) -> np.ndarray:
    """Overlaps of the rescaled memories with every pattern (P x P; row mu = memory mu).

    The diagonal is ``phi(b)``; off the diagonal ``(1 - r) phi(a) + r phi(b)`` with the pair's
    actual overlap fraction r (``~ (1 - q) phi(a) + q phi(b)`` for independent patterns).
    """
    return (readout_matrix(network)[:, :-1].T @ network.memory_rates()).T


class Outcome(enum.Enum):
    """Where a trajectory ends (the labels of :func:`classify`)."""

    CUED = "cued memory"
    OTHER = "other memory"
    QUIESCENT = "quiescent"
    ALL_ON = "all-on"
    NONE = "none"


#: The class names, in the order of :class:`Outcome`.
OUTCOMES = tuple(outcome.value for outcome in Outcome)


class OutcomeCounts:
    """Per-cue outcomes of a batch of cues, shared by every result that classifies final states.

    A mixin for frozen result dataclasses with the fields ``cued`` (B,) (the cued memory per cue,
    -1 for a cue not made from a stored memory) and ``labels`` (B,) (the :class:`Outcome` value of
    each final state).
    """

    cued: np.ndarray
    labels: np.ndarray

    @property
    def n_cues(self) -> int:
        """B."""
        return int(self.cued.size)

    @property
    def stored(self) -> np.ndarray:
        """Mask of cues made from stored memories."""
        return self.cued >= 0

    @property
    def success(self) -> np.ndarray:
        """Per cue: the final state is the cued memory."""
        return self.labels == Outcome.CUED.value

    @property
    def success_rate(self) -> float:
        """Fraction of stored-memory cues that end at their cued memory (NaN without such cues)."""
        return float(np.mean(self.success[self.stored])) if np.any(self.stored) else math.nan

    def class_counts(self) -> dict[str, int]:
        """Number of cues per final class (every class listed)."""
        return {value: int(np.sum(self.labels == value)) for value in OUTCOMES}

    def per_memory(self) -> list[dict]:
        """Per stored memory that was cued: the number of cues, successes and the success rate."""
        rows = []
        for mu in np.unique(self.cued[self.stored]):
            mine = self.cued == mu
            hits = int(np.sum(self.success[mine]))
            rows.append({"memory": int(mu), "n_cues": int(mine.sum()), "n_success": hits,
                         "success_rate": hits / int(mine.sum())})
        return rows


@dataclass(frozen=True)
class Ideals:
    """The ideal states a state is matched to (:func:`ideal_states`), in read-out features."""

    features: np.ndarray  # (P + 1, M): memories first, then the uniform states
    memory: np.ndarray  # (M,) memory index or -1
    labels: tuple[str, ...]  # for uniform states: "quiescent" / "all-on"


def ideal_states(network: MemoryNetwork) -> Ideals:
    """The rescaled memories and the stable quiescent / all-on uniform states, as read-out features."""
    readout = readout_matrix(network)
    memory_features = readout.T @ network.memory_rates()
    # uniform states exist when W 1 = gamma 1 (the betteti rule); the projection rule has memories only
    states = uniform_states(network) if network.rule == "betteti" else ()
    uniform = [s for s in states if s.kind in (Outcome.QUIESCENT.value, Outcome.ALL_ON.value)]
    uniform_features = np.array([[s.rate] * (network.n_patterns + 1) for s in uniform]).reshape(-1, network.n_patterns + 1).T
    return Ideals(
        features=np.hstack([memory_features, uniform_features]),
        memory=np.append(np.arange(network.n_patterns), np.full(len(uniform), -1)),
        labels=tuple([""] * network.n_patterns + [s.kind for s in uniform]),
    )


def classify_features(
    features: np.ndarray, ideals: Ideals, cued: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest ideal state in the max norm, for features of shape (..., P + 1, B).

    Only the memories with the three largest overlaps are candidates: a state within `tol` of
    memory mu's ideal has its largest overlap with mu whenever the ideals are more than 2 tol
    apart (``check_tol`` keeps tol below half the ~0.8 gap). Returns labels, the matched memory
    (-1 if none) and the distance, each of shape (..., B).
    """
    n_patterns = features.shape[-2] - 1
    n_uniform = ideals.features.shape[1] - n_patterns
    k = min(3, n_patterns)
    overlaps_ = features[..., :-1, :]
    candidates = np.argpartition(-overlaps_, k - 1, axis=-2)[..., :k, :] if k < n_patterns else np.broadcast_to(
        np.arange(n_patterns)[:, None], overlaps_.shape[:-2] + (n_patterns, features.shape[-1])
    )
    memory_ideals = np.moveaxis(ideals.features[:, candidates], 0, -2)  # (..., k, P + 1, B)
    distance = np.max(np.abs(features[..., None, :, :] - memory_ideals), axis=-2)  # (..., k, B)
    uniform_ideals = ideals.features[:, n_patterns:]  # (P + 1, U)
    if n_uniform:
        uniform_distance = np.max(np.abs(features[..., None, :, :] - uniform_ideals.T[:, :, None]), axis=-2)
        distance = np.concatenate([distance, uniform_distance], axis=-2)
        candidates = np.concatenate(
            [candidates, np.broadcast_to((n_patterns + np.arange(n_uniform))[:, None], uniform_distance.shape)],
            axis=-2,
        )
    nearest = np.argmin(distance, axis=-2)[..., None, :]
    best = np.take_along_axis(distance, nearest, axis=-2)[..., 0, :]
    ideal = np.take_along_axis(candidates, nearest, axis=-2)[..., 0, :]
    memory = ideals.memory[ideal]
    within = best <= tol
    kinds = np.array(ideals.labels, dtype=f"<U{max(len(v) for v in OUTCOMES)}")
    labels = np.where(within, kinds[ideal], Outcome.NONE.value)
    is_memory = within & (memory >= 0)
    labels = np.where(is_memory & (memory == cued), Outcome.CUED.value, labels)
    labels = np.where(is_memory & (memory != cued), Outcome.OTHER.value, labels)
    return labels, np.where(is_memory, memory, -1), best


@dataclass(frozen=True, repr=False)
class Classification:
    """Labels of states (see :class:`Outcome`).

    Attributes
    ----------
    labels : numpy.ndarray of str, shape (B,)
        ``"cued memory"``, ``"other memory"``, ``"quiescent"``, ``"all-on"`` or ``"none"``.
    memory : numpy.ndarray of int, shape (B,)
        The memory a state matches (-1 if it matches none).
    distance : numpy.ndarray, shape (B,)
        Max-norm distance, in overlap units, to the nearest ideal state.
    tol : float
    """

    labels: np.ndarray
    memory: np.ndarray
    distance: np.ndarray
    tol: float

    def counts(self) -> dict[str, int]:
        """Number of states per outcome (every outcome listed)."""
        return {value: int(np.sum(self.labels == value)) for value in OUTCOMES}

    def summary(self) -> str:
        """Counts per outcome on one line."""
        return ", ".join(f"{k}: {v}" for k, v in self.counts().items()) + f" (tol {self.tol:g})"

    def __repr__(self) -> str:
        return f"Classification(n={self.labels.size}, {self.summary()})"


def _check_cued(cued: object, n_states: int, n_patterns: int) -> np.ndarray:
    if cued is None:
        return np.full(n_states, -1, dtype=np.int64)
    array = np.asarray(cued)
    if array.ndim == 0:
        array = np.full(n_states, int(array))
    if array.shape != (n_states,) or array.dtype.kind not in "iu":
        raise InvalidInput(f"`cued` must be an integer or an integer array of shape ({n_states},); got {cued!r}")
    if np.any((array < -1) | (array >= n_patterns)):
        raise InvalidInput(f"`cued` entries must be in [-1, {n_patterns - 1}] (-1: not stored); got {array.tolist()!r}")
    return array.astype(np.int64)


def check_tol(tol: object) -> float:
    """`tol` as a float in (0, 0.5), or raise naming it (a classification tolerance)."""
    tol = check_positive("tol", tol)
    if tol >= 0.5:
        raise InvalidInput(f"`tol` must be < 0.5 (ideal states are about 0.8 apart); got {tol!r}")
    return tol


def classify(
    network: MemoryNetwork, X: np.ndarray, *, cued: int | np.ndarray | None = None, tol: float = DEFAULT_TOL
) -> Classification:
    """Label states as the cued memory, another memory, quiescent, all-on or none.

    Each state is summarised by its P overlaps and its mean rate, and matched to the nearest ideal
    in the max norm: the rescaled memories (overlap ``phi(b)`` with their own pattern, the pair's
    ``(1 - r) phi(a) + r phi(b)`` with the others, theory.md §7) and the stable uniform states
    ``s 1`` of :func:`~assocrate.core.equilibria.uniform_states` (every feature equal to s). A state
    farther than `tol` from every ideal is ``"none"``.

    Parameters
    ----------
    network : MemoryNetwork
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates.
    cued : int or numpy.ndarray of int, optional
        The memory each state was cued with (-1 or None: not a stored memory).
    tol : float, default 0.15
        Largest max-norm distance (overlap units) to an ideal state, in (0, 0.5).

    Returns
    -------
    Classification

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> X = np.column_stack([net.memory_rates()[:, :2], np.zeros(1000), np.full(1000, 0.5)])
    >>> aa.classify(net, X, cued=[0, 3, -1, -1]).labels.tolist()
    ['cued memory', 'other memory', 'quiescent', 'none']
    """
    X = np.asarray(X, dtype=float)
    if X.shape[:1] != (network.n_units,) or X.ndim > 2:
        raise InvalidInput(f"`X` must have shape ({network.n_units},) or ({network.n_units}, B); got {X.shape}")
    X2 = X[:, None] if X.ndim == 1 else X
    cued_arr = _check_cued(cued, X2.shape[1], network.n_patterns)
    tol = check_tol(tol)
    labels, memory, distance = classify_features(readout_matrix(network).T @ X2, ideal_states(network), cued_arr, tol)
    return Classification(_readonly(labels), _readonly(memory), _readonly(distance), tol)


