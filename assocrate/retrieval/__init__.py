"""Retrieval: cues, overlaps, classification of final states, basins and capacity (DESIGN.md §7).

A retrieval experiment starts the rate dynamics from cues (corrupted stored patterns, noisy
rates, or an input pulse), runs batched Euler–Maruyama through the low-rank factors and
classifies where each trajectory ends: the cued memory, another memory, the quiescent state,
the all-on state, or none of them.

Overlap with pattern nu: ``m^nu = x . xi^nu / (N q_nu)`` where ``q_nu N = |xi^nu|`` is the number
of active units of that pattern (the design's q for equal-size patterns), so the rescaled memory
``x^mu = phi(a) + (phi(b) - phi(a)) xi^mu`` has ``m^mu = phi(b)`` exactly and
``m^nu = (1 - r_mu,nu) phi(a) + r_mu,nu phi(b) ~ (1 - q) phi(a) + q phi(b)`` for the others.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._validation import (
    as_generator,
    check_choice,
    check_finite_float,
    check_fraction,
    check_index,
    check_patterns,
    check_positive,
    check_positive_int,
)
from .._validation import readonly as _readonly
from ..core.activations import Activation
from ..core.design import MemoryNetwork, design
from ..core.equilibria import refine_equilibrium, uniform_states
from ..core.patterns import random_patterns
from ..dynamics import Pulses, blas_threads_for, euler_maruyama, integer_seed, pulse
from ..errors import InvalidInput, InvalidType

__all__ = [
    "CUE_KINDS",
    "DEFAULT_TOL",
    "OUTCOMES",
    "BasinProfile",
    "CapacityCurve",
    "Classification",
    "CueSet",
    "LetterPatterns",
    "Outcome",
    "RetrievalResult",
    "add_noise",
    "basin_profile",
    "capacity_curve",
    "classify",
    "cue_rates",
    "delete_active",
    "flip",
    "ideal_overlaps",
    "input_cue",
    "letter_patterns",
    "make_cues",
    "nonstored_cues",
    "overlaps",
    "parse_cue",
    "retrieve",
]

#: Cue kinds understood by :func:`make_cues` and :func:`parse_cue`, with the meaning of the level.
CUE_KINDS = {
    "delete": "fraction of the active units of the pattern switched off, in [0, 1]",
    "flip": "fraction of all units flipped, in [0, 1]",
    "noise": "standard deviation of Gaussian noise added to the memory's rates (clipped to [0, 1]), >= 0",
    "input": "amplitude kappa of an input pulse u = kappa xi on [0, duration) from the quiescent state, > 0",
}
#: Default classification tolerance (max-norm distance in overlap units to an ideal state).
DEFAULT_TOL = 0.15


# ---------------------------------------------------------------------------------------------
# Cue makers
# ---------------------------------------------------------------------------------------------


def _check_unit_fraction(name: str, value: object) -> float:
    value = check_finite_float(name, value)
    if not 0.0 <= value <= 1.0:
        raise InvalidInput(f"`{name}` must be in [0, 1]; got {value!r}")
    return value


def _binary(name: str, pattern: object) -> tuple[np.ndarray, bool]:
    array = np.asarray(pattern)
    single = array.ndim == 1
    checked = check_patterns(name, array[:, None] if single else array)
    return checked, single


def delete_active(
    pattern: np.ndarray, fraction: float, *, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Switch off ``round(fraction * |xi|)`` active units chosen uniformly (per column).

    Parameters
    ----------
    pattern : array_like of 0/1, shape (N,) or (N, K)
        One pattern or K patterns as columns.
    fraction : float
        Fraction of the active units deleted, in [0, 1]; ``0.4`` keeps 60 %.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    numpy.ndarray of bool, same shape as `pattern`

    Examples
    --------
    >>> xi = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    >>> cue = delete_active(xi, 0.4, seed=0)
    >>> int(cue.sum()), bool(np.all(cue <= xi))
    (3, True)
    """
    xi, single = _binary("pattern", pattern)
    fraction = _check_unit_fraction("fraction", fraction)
    rng = as_generator(seed)
    cue = xi.copy()
    for k in range(xi.shape[1]):
        active = np.flatnonzero(xi[:, k])
        n_off = int(round(fraction * active.size))
        cue[rng.choice(active, size=n_off, replace=False), k] = False
    return cue[:, 0] if single else cue


def flip(pattern: np.ndarray, fraction: float, *, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Flip ``round(fraction * N)`` units chosen uniformly (per column).

    Examples
    --------
    >>> xi = np.zeros(10, dtype=bool)
    >>> int(flip(xi, 0.3, seed=1).sum())
    3
    """
    xi, single = _binary("pattern", pattern)
    fraction = _check_unit_fraction("fraction", fraction)
    rng = as_generator(seed)
    cue = xi.copy()
    n_flip = int(round(fraction * xi.shape[0]))
    for k in range(xi.shape[1]):
        units = rng.choice(xi.shape[0], size=n_flip, replace=False)
        cue[units, k] = ~cue[units, k]
    return cue[:, 0] if single else cue


def add_noise(rates: np.ndarray, sigma: float, *, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """``clip(rates + sigma n, 0, 1)`` with n standard normal: a noisy starting rate vector.

    Examples
    --------
    >>> x = add_noise(np.full(1000, 0.5), 0.1, seed=0)
    >>> bool(0.09 < x.std() < 0.11), bool(x.min() >= 0 and x.max() <= 1)
    (True, True)
    """
    x = np.asarray(rates, dtype=float)
    if not np.all(np.isfinite(x)):
        raise InvalidInput("`rates` must be finite")
    sigma = check_finite_float("sigma", sigma)
    if sigma < 0:
        raise InvalidInput(f"`sigma` must be >= 0; got {sigma!r}")
    return np.clip(x + sigma * as_generator(seed).standard_normal(x.shape), 0.0, 1.0)


def input_cue(pattern: np.ndarray, kappa: float, duration: float, *, start: float = 0.0) -> Pulses:
    """An input pulse ``u = kappa xi`` on ``[start, start + duration)`` (one column per cue).

    Examples
    --------
    >>> input_cue(np.array([1, 0, 1]), 0.5, 2.0)
    Pulses(n_pieces=1, edges=[0 .. 2], value_shape=(3,))
    """
    xi, single = _binary("pattern", pattern)
    kappa = check_finite_float("kappa", kappa)
    duration = check_positive("duration", duration)
    start = check_finite_float("start", start)
    return pulse(kappa * (xi[:, 0] if single else xi).astype(float), start, start + duration)


def cue_rates(network: MemoryNetwork, binary: np.ndarray) -> np.ndarray:
    """Starting rates from a (corrupted) binary pattern: ``phi(a) + (phi(b) - phi(a)) * cue``.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> bool(np.array_equal(cue_rates(net, net.patterns), net.memory_rates()))
    True
    """
    cue = np.asarray(binary)
    if cue.shape[:1] != (network.n_units,) or cue.ndim > 2:
        raise InvalidInput(f"`binary` must have shape ({network.n_units},) or ({network.n_units}, B); got {cue.shape}")
    phi_a, phi_b = _levels(network)
    return phi_a + (phi_b - phi_a) * cue.astype(float)


def _levels(network: MemoryNetwork) -> tuple[float, float]:
    return float(network.activation.phi(network.a)), float(network.activation.phi(network.b))


@dataclass(frozen=True, repr=False)
class CueSet:
    """A batch of cues: starting rates, the memory each was made from, and an optional input.

    Attributes
    ----------
    x0 : numpy.ndarray, shape (N, B)
        Starting rates, one cue per column.
    cued : numpy.ndarray of int, shape (B,)
        Index of the stored memory each cue was made from; -1 for a pattern that is not stored.
    u : Pulses or None
        Input applied during the run (input cues).
    kind : str
        Cue kind (see `CUE_KINDS`) or ``"nonstored"``.
    level : float
        The kind's parameter (fraction, sigma or kappa).
    """

    x0: np.ndarray
    cued: np.ndarray
    u: Pulses | None
    kind: str
    level: float

    @property
    def n_cues(self) -> int:
        """B."""
        return int(self.x0.shape[1])

    @property
    def spec(self) -> str:
        """``kind:level`` as accepted by :func:`parse_cue`."""
        return f"{self.kind}:{self.level:g}"

    def __repr__(self) -> str:
        return f"CueSet(kind={self.kind!r}, level={self.level:g}, n_cues={self.n_cues}, n_units={self.x0.shape[0]})"


def parse_cue(spec: str) -> tuple[str, float, float]:
    """Parse ``KIND:LEVEL`` (``input:KAPPA[:DURATION]``) into ``(kind, level, duration)``.

    Examples
    --------
    >>> parse_cue("delete:0.4")
    ('delete', 0.4, 1.0)
    >>> parse_cue("input:0.5:2")
    ('input', 0.5, 2.0)
    """
    allowed = ", ".join(f"{kind}:LEVEL" for kind in CUE_KINDS) + " (input:KAPPA[:DURATION])"
    parts = str(spec).split(":")
    kind = parts[0].strip().lower()
    if kind not in CUE_KINDS or len(parts) not in (2, 3) or (len(parts) == 3 and kind != "input"):
        raise InvalidInput(f"`cue` must be one of {allowed}; got {spec!r}")
    try:
        numbers = [float(part) for part in parts[1:]]
    except ValueError:
        raise InvalidInput(f"`cue` must be one of {allowed}; got {spec!r} (LEVEL is not a number)") from None
    level, duration = numbers[0], numbers[1] if len(numbers) == 2 else 1.0
    if kind in ("delete", "flip") and not 0.0 <= level <= 1.0:
        raise InvalidInput(f"`cue` {kind} fraction must be in [0, 1]; got {spec!r}")
    if kind == "noise" and not (math.isfinite(level) and level >= 0.0):
        raise InvalidInput(f"`cue` noise sigma must be >= 0; got {spec!r}")
    if kind == "input" and not (math.isfinite(level) and level > 0.0 and math.isfinite(duration) and duration > 0.0):
        raise InvalidInput(f"`cue` input kappa and duration must be > 0; got {spec!r}")
    return kind, level, duration


def _quiescent_rate(network: MemoryNetwork) -> float:
    return min(state.rate for state in uniform_states(network))


def make_cues(
    network: MemoryNetwork,
    kind: str,
    level: float,
    *,
    trials: int = 1,
    memories: Sequence[int] | None = None,
    duration: float = 1.0,
    seed: int | np.random.Generator | None = None,
) -> CueSet:
    """`trials` cues of one kind from each of the chosen stored memories.

    Parameters
    ----------
    network : MemoryNetwork
    kind : {"delete", "flip", "noise", "input"}
        See `CUE_KINDS`.
    level : float
        Deleted fraction, flipped fraction, noise sigma, or input amplitude kappa.
    trials : int, default 1
        Cues per memory; cues are ordered memory by memory (``B = len(memories) * trials``).
    memories : sequence of int, optional
        Memory indices; all stored memories by default.
    duration : float, default 1.0
        Length of the input pulse (``kind="input"``).
    seed : int, numpy.random.Generator or None

    Returns
    -------
    CueSet

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cues = make_cues(net, "delete", 0.4, trials=2, seed=0)
    >>> cues.n_cues, cues.cued.tolist()
    (12, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    """
    kind = check_choice("kind", kind, tuple(CUE_KINDS))
    trials = check_positive_int("trials", trials)
    level = check_finite_float("level", level)
    if memories is None:
        memories = range(network.n_patterns)
    cued = np.repeat(np.array([check_index("memories", mu, network.n_patterns) for mu in memories], dtype=np.int64), trials)
    if cued.size == 0:
        raise InvalidInput("`memories` must name at least one memory; got an empty sequence")
    xi = np.asarray(network.patterns[:, cued])
    rng = as_generator(seed)
    u = None
    if kind == "delete":
        x0 = cue_rates(network, delete_active(xi, level, seed=rng))
    elif kind == "flip":
        x0 = cue_rates(network, flip(xi, level, seed=rng))
    elif kind == "noise":
        x0 = add_noise(network.memory_rates()[:, cued], level, seed=rng)
    else:
        level = check_positive("level", level)
        x0 = np.full(xi.shape, _quiescent_rate(network))
        u = input_cue(xi, level, duration)
    return CueSet(x0=_readonly(np.ascontiguousarray(x0)), cued=_readonly(cued), u=u, kind=kind, level=level)


def nonstored_cues(
    network: MemoryNetwork, n_cues: int, *, q: float | None = None, seed: int | np.random.Generator | None = None
) -> CueSet:
    """Cues from random patterns that are not stored (same activity q); ``cued = -1``.

    A healthy network sends them to the quiescent state.
    """
    n_cues = check_positive_int("n_cues", n_cues)
    q = network.q if q is None else check_fraction("q", q)
    strangers = random_patterns(network.n_units, n_cues, q, seed=seed)
    return CueSet(
        x0=_readonly(cue_rates(network, strangers)),
        cued=_readonly(np.full(n_cues, -1, dtype=np.int64)),
        u=None,
        kind="nonstored",
        level=q,
    )


# ---------------------------------------------------------------------------------------------
# Overlaps and classification
# ---------------------------------------------------------------------------------------------


def _overlap_weights(patterns: np.ndarray, q: float | None) -> np.ndarray:
    """Read-out matrix (N, P) with columns ``xi^nu / (N q_nu)``."""
    xi = np.asarray(patterns, dtype=float)
    sizes = xi.sum(axis=0) if q is None else np.full(xi.shape[1], q * xi.shape[0])
    if np.any(sizes <= 0):
        raise InvalidInput("every pattern must have at least one active unit to define its overlap")
    return xi / sizes


def overlaps(X: np.ndarray, patterns: np.ndarray, *, q: float | None = None) -> np.ndarray:
    """Overlaps ``m^nu = x . xi^nu / (N q_nu)`` of states with patterns.

    Parameters
    ----------
    X : numpy.ndarray, shape (N,) or (N, B)
        Rates.
    patterns : array_like of 0/1, shape (N, P)
    q : float, optional
        Use ``N q`` for every pattern (the literal formula of DESIGN.md §7). By default each
        pattern's own activity ``q_nu = |xi^nu| / N``, so that ``m^mu = phi(b)`` at the rescaled
        memory even when pattern sizes differ.

    Returns
    -------
    numpy.ndarray, shape (P,) or (P, B)

    Examples
    --------
    >>> xi = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    >>> overlaps(np.array([1.0, 1.0, 0.0, 0.0]), xi)
    array([1. , 0.5])
    """
    xi = check_patterns("patterns", patterns)
    X = np.asarray(X, dtype=float)
    if X.shape[:1] != (xi.shape[0],) or X.ndim > 2:
        raise InvalidInput(f"`X` must have shape ({xi.shape[0]},) or ({xi.shape[0]}, B); got {X.shape}")
    if q is not None:
        q = check_fraction("q", q)
    return _overlap_weights(xi, q).T @ X


def _readout(network: MemoryNetwork) -> np.ndarray:
    """Features read out along a trajectory: the P overlaps and the mean rate (N, P + 1)."""
    weights = _overlap_weights(network.patterns, None)
    return np.hstack([weights, np.full((network.n_units, 1), 1.0 / network.n_units)])


def ideal_overlaps(network: MemoryNetwork) -> np.ndarray:
    """Overlaps of the rescaled memories with every pattern (P x P; row mu = memory mu).

    The diagonal is ``phi(b)``; off the diagonal ``(1 - r) phi(a) + r phi(b)`` with the pair's
    actual overlap fraction r (``~ (1 - q) phi(a) + q phi(b)`` for independent patterns).
    """
    return (_readout(network)[:, :-1].T @ network.memory_rates()).T


class Outcome(enum.Enum):
    """Where a trajectory ends (the labels of :func:`classify`)."""

    CUED = "cued memory"
    OTHER = "other memory"
    QUIESCENT = "quiescent"
    ALL_ON = "all-on"
    NONE = "none"


#: The class names, in the order of :class:`Outcome`.
OUTCOMES = tuple(outcome.value for outcome in Outcome)


@dataclass(frozen=True)
class _Ideals:
    features: np.ndarray  # (P + 1, M): memories first, then the uniform states
    memory: np.ndarray  # (M,) memory index or -1
    labels: tuple[str, ...]  # for uniform states: "quiescent" / "all-on"


def _ideals(network: MemoryNetwork) -> _Ideals:
    readout = _readout(network)
    memory_features = readout.T @ network.memory_rates()
    uniform = [s for s in uniform_states(network) if s.kind in (Outcome.QUIESCENT.value, Outcome.ALL_ON.value)]
    uniform_features = np.array([[s.rate] * (network.n_patterns + 1) for s in uniform]).reshape(-1, network.n_patterns + 1).T
    return _Ideals(
        features=np.hstack([memory_features, uniform_features]),
        memory=np.append(np.arange(network.n_patterns), np.full(len(uniform), -1)),
        labels=tuple([""] * network.n_patterns + [s.kind for s in uniform]),
    )


def _classify_features(
    features: np.ndarray, ideals: _Ideals, cued: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest ideal state in the max norm, for features of shape (..., P + 1, B).

    Only the memories with the three largest overlaps are candidates: a state within `tol` of
    memory mu's ideal has its largest overlap with mu whenever the ideals are more than 2 tol
    apart (``_check_tol`` keeps tol below half the ~0.8 gap). Returns labels, the matched memory
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


def _check_tol(tol: object) -> float:
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
    ``(1 - r) phi(a) + r phi(b)`` with the others, DESIGN.md §7) and the stable uniform states
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
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> X = np.column_stack([net.memory_rates()[:, :2], np.zeros(1000), np.full(1000, 0.5)])
    >>> classify(net, X, cued=[0, 3, -1, -1]).labels.tolist()
    ['cued memory', 'other memory', 'quiescent', 'none']
    """
    X = np.asarray(X, dtype=float)
    if X.shape[:1] != (network.n_units,) or X.ndim > 2:
        raise InvalidInput(f"`X` must have shape ({network.n_units},) or ({network.n_units}, B); got {X.shape}")
    X2 = X[:, None] if X.ndim == 1 else X
    cued_arr = _check_cued(cued, X2.shape[1], network.n_patterns)
    tol = _check_tol(tol)
    labels, memory, distance = _classify_features(_readout(network).T @ X2, _ideals(network), cued_arr, tol)
    return Classification(_readonly(labels), _readonly(memory), _readonly(distance), tol)


# ---------------------------------------------------------------------------------------------
# Retrieval runs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RetrievalResult:
    """Outcome of a batch of retrieval runs (:func:`retrieve`).

    Attributes
    ----------
    cued : numpy.ndarray of int, shape (B,)
        Memory each cue came from (-1: not stored).
    labels : numpy.ndarray of str, shape (B,)
        Final class of each trajectory (see :class:`Outcome`).
    matched : numpy.ndarray of int, shape (B,)
        Memory the final state matches (-1: none).
    times : numpy.ndarray, shape (T,)
        Recorded times.
    overlaps : numpy.ndarray, shape (T, P, B)
        Overlap time courses ``m^nu(t)``.
    mean_rate : numpy.ndarray, shape (T, B)
    frame_labels : numpy.ndarray of str, shape (T, B)
        Class of the state at every recorded time.
    time_to_converge : numpy.ndarray, shape (B,)
        First recorded time from which the class stays equal to the final class (NaN when the
        final class is ``"none"``).
    final_states : numpy.ndarray, shape (N, B)
    ideal_cued, ideal_other : float
        ``phi(b)`` and ``(1 - q) phi(a) + q phi(b)``.
    cue, sigma, dt, tol, dtype, seed :
        The settings used.
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

    def class_counts(self) -> dict[str, int]:
        """Number of cues per final class (every class listed)."""
        return {value: int(np.sum(self.labels == value)) for value in OUTCOMES}

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
            "dt": self.dt,
            "t_max": float(self.times[-1]),
            "tol": self.tol,
            "seed": self.seed,
            "success_rate": _json_float(self.success_rate),
            "mean_overlap_cued": _json_float(self.mean_overlap_cued),
            "mean_overlap_other": _json_float(self.mean_overlap_other),
            "ideal_overlap_cued": self.ideal_cued,
            "ideal_overlap_other": self.ideal_other,
            "classes": self.class_counts(),
            "mean_time_to_converge": _json_float(float(np.mean(converged)) if converged.size else math.nan),
        }

    def summary(self) -> str:
        """Success rate, overlaps against their ideal values, classes and convergence time."""
        record = self.to_record()
        counts = ", ".join(f"{k} {v}" for k, v in record["classes"].items() if v)
        time_text = (
            f"{record['mean_time_to_converge']:.3g}" if record["mean_time_to_converge"] is not None else "n/a"
        )
        lines = [
            f"retrieval: {self.n_cues} cues ({self.cue}), sigma={self.sigma:g}, dt={self.dt:g}, "
            f"t_max={self.times[-1]:g}, tol={self.tol:g}",
            f"  success rate        {_format(self.success_rate, '.3f')}",
            f"  overlap with cued   {_format(self.mean_overlap_cued, '.4f')} (ideal phi(b) = {self.ideal_cued:.4f})",
            f"  overlap with others {_format(self.mean_overlap_other, '.4f')} "
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


def _json_float(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def _format(value: float, spec: str) -> str:
    return "n/a" if not math.isfinite(value) else format(value, spec)


def _settling_times(times: np.ndarray, frame_labels: np.ndarray) -> np.ndarray:
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
    t_max: float = 10.0,
    dt: float = 0.01,
    sigma: float = 0.0,
    boundary: str = "reflect",
    seed: int | np.random.Generator | None = None,
    record_every: int = 10,
    tol: float = DEFAULT_TOL,
    dtype: type | np.dtype = np.float64,
) -> RetrievalResult:
    """Run the rate dynamics from every cue at once and classify where each trajectory ends.

    Parameters
    ----------
    network : MemoryNetwork
    cues : CueSet
        From :func:`make_cues` or :func:`nonstored_cues`.
    t_max : float, default 10.0
        Duration (DESIGN.md §7 uses t in [0, 10]).
    dt : float, default 0.01
        Euler–Maruyama step.
    sigma : float, default 0.0
        Noise amplitude (``sigma sqrt(dt)`` per step); 0 is the deterministic Euler method.
    boundary : {"reflect", "clip", "none"}, default "reflect"
    seed : int, numpy.random.Generator or None
        Seed of the dynamical noise.
    record_every : int, default 10
        Overlaps are recorded every this many steps.
    tol : float, default 0.15
        Classification tolerance (see :func:`classify`).
    dtype : numpy.float64 or numpy.float32

    Returns
    -------
    RetrievalResult

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = retrieve(net, make_cues(net, "delete", 0.4, seed=0))
    >>> result.success_rate, result.class_counts()["cued memory"]
    (1.0, 6)
    """
    if not isinstance(cues, CueSet):
        raise InvalidType(f"`cues` must be a CueSet (see make_cues); got {type(cues).__name__}")
    if cues.x0.shape[0] != network.n_units:
        raise InvalidInput(f"`cues` must have {network.n_units} units; got {cues.x0.shape[0]}")
    if np.any(cues.cued >= network.n_patterns):
        raise InvalidInput(f"`cues` name memories beyond the network's {network.n_patterns}")
    t_max = check_positive("t_max", t_max)
    dt = check_positive("dt", dt)
    if dt > t_max:
        raise InvalidInput(f"`dt` must be <= `t_max`; got dt={dt!r}, t_max={t_max!r}")
    tol = _check_tol(tol)
    n_steps = max(1, int(round(t_max / dt)))
    readout = _readout(network)
    run = euler_maruyama(
        network, cues.x0, dt, n_steps, sigma=sigma, u=cues.u, boundary=boundary, seed=seed,
        record_every=record_every, readout=readout, dtype=dtype,
    )
    features = run.readouts.astype(np.float64)  # (T, P + 1, B)
    ideals = _ideals(network)
    frame_labels, frame_matched, _ = _classify_features(features, ideals, cues.cued, tol)
    labels, matched = frame_labels[-1], frame_matched[-1]
    phi_a, phi_b = _levels(network)
    return RetrievalResult(
        cued=_readonly(np.array(cues.cued)),
        labels=_readonly(labels),
        matched=_readonly(matched),
        times=run.times,
        overlaps=_readonly(features[:, :-1, :]),
        mean_rate=_readonly(features[:, -1, :]),
        frame_labels=_readonly(frame_labels),
        time_to_converge=_readonly(_settling_times(run.times, frame_labels)),
        final_states=_readonly(run.final.astype(np.float64)),
        ideal_cued=phi_b,
        ideal_other=(1.0 - network.q) * phi_a + network.q * phi_b,
        cue=cues.spec,
        sigma=run.sigma,
        dt=dt,
        tol=tol,
        dtype=run.dtype,
        seed=run.seed,
    )


# ---------------------------------------------------------------------------------------------
# Basins of attraction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class BasinProfile:
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
    seed : int or None
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

    @property
    def probability(self) -> np.ndarray:
        """Retrieval probability per level."""
        return self.successes / self.n_cues

    def edge(self, threshold: float = 0.5) -> float:
        """Largest level up to which the retrieval probability stays >= `threshold` (NaN if never)."""
        return _last_passing(self.levels, self.probability, threshold)

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


def _last_passing(levels: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """The last of `levels` before `values` first drops below `threshold` (NaN if it starts below)."""
    failing = np.flatnonzero(values < threshold)
    if failing.size and failing[0] == 0:
        return math.nan
    return float(levels[-1] if failing.size == 0 else levels[failing[0] - 1])


def _concatenate(cue_sets: Sequence[CueSet]) -> CueSet:
    return CueSet(
        x0=_readonly(np.ascontiguousarray(np.hstack([c.x0 for c in cue_sets]))),
        cued=_readonly(np.concatenate([c.cued for c in cue_sets])),
        u=None,
        kind=cue_sets[0].kind,
        level=math.nan,
    )


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
    t_max, dt, sigma, tol, dtype :
        As in :func:`retrieve`.

    Returns
    -------
    BasinProfile

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> from assocrate.core.design import design
    >>> from assocrate.core.patterns import equal_overlap_patterns
    >>> net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> profile = basin_profile(net, 0, [0.2, 0.95], trials=4, seed=0)
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
        network, _concatenate(cue_sets), t_max=t_max, dt=dt, sigma=sigma, seed=rng, tol=tol, dtype=dtype
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
    )


# ---------------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------------


# Newton iterations per start in the capacity check (quadratic convergence needs far fewer).
_NEWTON_ITERATIONS = 25


@dataclass(frozen=True)
class _MemoryCheck:
    equilibrium: np.ndarray  # (P,) bool: refinement converged to a state classified as memory mu
    stable: np.ndarray  # (P,) bool: verdict STABLE there (assocrate.stability.local)
    max_eigenvalue: np.ndarray  # (P,) float (NaN without an equilibrium)


def _check_memories(network: MemoryNetwork, tol: float, *, t_relax: float = 20.0) -> _MemoryCheck:
    """Locate the true equilibrium near each memory and test its local stability (DESIGN.md §3, §4).

    Newton's method starts from the rescaled memory; where it fails (it stalls when the design
    residual is large), the memories concerned are relaxed by the deterministic dynamics for
    `t_relax` (one batch) and Newton restarts from where they are, if that is still the memory. A memory is an equilibrium if
    Newton converges to a state still classified as that memory. Stability from the reduced
    problem: spec(J) = {-1} U {-1 + spec(C U^T D U)} (tau = 1), D = diag(phi'(h)) there.
    """
    from ..stability.local import Verdict, spectrum_at_state  # lazy: keeps importing retrieval cheap

    ideals = _ideals(network)
    readout = _readout(network)
    n_patterns = network.n_patterns
    equilibrium = np.zeros(n_patterns, dtype=bool)
    stable = np.zeros(n_patterns, dtype=bool)
    max_eigenvalue = np.full(n_patterns, np.nan)

    def is_memory(mu: int, x: np.ndarray) -> bool:
        labels, _, _ = _classify_features(readout.T @ x[:, None], ideals, np.array([mu]), tol)
        return bool(labels[0] == Outcome.CUED.value)

    def accept(mu: int, start: np.ndarray) -> bool:
        refined = refine_equilibrium(network, start, max_iter=_NEWTON_ITERATIONS)
        if not refined.success or not is_memory(mu, refined.x):
            return False
        # the verdict of assocrate.stability.local (same tolerance), so the two modules cannot disagree
        spectrum = spectrum_at_state(network, mu, refined.h, refined.residual, refined.status.value)
        max_eigenvalue[mu] = spectrum.max_eigenvalue
        equilibrium[mu], stable[mu] = True, spectrum.verdict is Verdict.STABLE
        return True

    rates = network.memory_rates()
    failed = [mu for mu in range(n_patterns) if not accept(mu, rates[:, mu])]
    if failed:
        dt = 0.01
        relaxed = euler_maruyama(
            network, rates[:, failed], dt, max(1, int(round(t_relax / dt))), sigma=0.0, record_every=100,
            readout=readout, steady_tol=1e-9,
        ).final
        for j, mu in enumerate(failed):
            if is_memory(mu, relaxed[:, j]):  # the dynamics left the memory: no equilibrium near it to find
                accept(mu, relaxed[:, j])
    return _MemoryCheck(equilibrium, stable, max_eigenvalue)


@dataclass(frozen=True, repr=False)
class CapacityCurve:
    """Fraction of stored random memories that work, against the load P/N (:func:`capacity_curve`).

    A memory counts only if (1) Newton refinement from its rescaled pattern converges to an
    equilibrium that is still classified as that memory, (2) the equilibrium is locally stable
    (verdict STABLE of :mod:`assocrate.stability.local`: largest Jacobian eigenvalue below 0 beyond
    rounding, from the reduced (P+1) x (P+1) problem), and (3) a cue made
    from it is retrieved.

    Attributes
    ----------
    n_units : int
    loads : numpy.ndarray, shape (L,)
        Actual loads ``P / N``.
    n_patterns : numpy.ndarray of int, shape (L,)
    trials : int
        Independent pattern sets per load.
    equilibrium_rate, stable_rate, retrieval_rate, success_rate : numpy.ndarray, shape (L,)
        Fractions of memories that are equilibria; stable equilibria; retrieved from their cue;
        and all three (the capacity criterion).
    max_eigenvalue : numpy.ndarray, shape (L,)
        Mean over memories with an equilibrium of the largest Jacobian eigenvalue (NaN if none).
    q, a, b : float
    activation : str
    cue : str
    seed : int or None
    """

    n_units: int
    loads: np.ndarray
    n_patterns: np.ndarray
    trials: int
    equilibrium_rate: np.ndarray
    stable_rate: np.ndarray
    retrieval_rate: np.ndarray
    success_rate: np.ndarray
    max_eigenvalue: np.ndarray
    q: float
    a: float
    b: float
    activation: str
    cue: str
    seed: int | None

    def capacity(self, threshold: float = 0.9) -> float:
        """Largest tested load up to which the success rate stays >= `threshold` (NaN if never)."""
        return _last_passing(self.loads, self.success_rate, threshold)

    def to_record(self) -> dict:
        """A JSON-ready dictionary (what ``assocrate capacity --json`` prints)."""
        return {
            "n_units": self.n_units,
            "q": self.q,
            "a": self.a,
            "b": self.b,
            "activation": self.activation,
            "cue": self.cue,
            "trials": self.trials,
            "seed": self.seed,
            "loads": self.loads.tolist(),
            "n_patterns": self.n_patterns.tolist(),
            "equilibrium_rate": self.equilibrium_rate.tolist(),
            "stable_rate": self.stable_rate.tolist(),
            "retrieval_rate": self.retrieval_rate.tolist(),
            "success_rate": self.success_rate.tolist(),
            "capacity_0.9": _json_float(self.capacity(0.9)),
        }

    def summary(self) -> str:
        """A table: load, P, and the fraction of memories passing each test."""
        lines = [
            f"capacity curve: N={self.n_units}, q={self.q:g}, a={self.a:g}, b={self.b:g}, {self.activation}, "
            f"cue {self.cue}, {self.trials} pattern set(s) per load",
            "   P/N     P  equilibrium  stable  retrieved  all three",
        ]
        for row in zip(self.loads, self.n_patterns, self.equilibrium_rate, self.stable_rate, self.retrieval_rate,
                       self.success_rate):
            lines.append("  {:6.4f} {:4d}  {:11.3f}  {:6.3f}  {:9.3f}  {:9.3f}".format(*row))
        lines.append(f"  success >= 0.9 up to P/N = {_format(self.capacity(0.9), '.4g')}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CapacityCurve(n_units={self.n_units}, n_loads={self.loads.size}, trials={self.trials}, "
            f"capacity_0.9={self.capacity(0.9):.4g})"
        )


#: Draws of a random pattern set allowed before a capacity cell gives up on an empty pattern.
_MAX_REDRAWS = 100


@dataclass(frozen=True, repr=False)
class CapacitySetup:
    """The validated arguments of a capacity experiment: everything one (load, trial) cell needs.

    Shared by :func:`capacity_curve` (serial) and :func:`assocrate.sweeps.capacity_sweep` (one
    dask task per cell), so the two check their input and compute their cells the same way.
    """

    n: int
    loads: np.ndarray  # (L,) the requested loads
    n_patterns: np.ndarray  # (L,) P = max(1, round(load * n))
    q: float
    activation: Activation
    a: float
    b: float
    trials: int
    cue: str
    kind: str
    level: float
    duration: float
    t_max: float
    dt: float
    tol: float

    def seeds(self, seed: int | None) -> list[np.random.SeedSequence]:
        """One child of ``SeedSequence(seed)`` per cell; cell (i, t) gets child ``i * trials + t``."""
        return np.random.SeedSequence(seed).spawn(self.n_patterns.size * self.trials)


def capacity_setup(
    n: object,
    loads: object,
    q: object,
    activation: Activation,
    levels: object,
    trials: object,
    seed: object,
    *,
    cue: str,
    t_max: object,
    dt: object,
    tol: object,
) -> CapacitySetup:
    """Check the arguments of :func:`capacity_curve` (named in every error) before any cell runs."""
    n = check_positive_int("n", n, minimum=2)
    load_array = np.asarray(loads, dtype=float)
    if load_array.ndim != 1 or load_array.size == 0 or not np.all(np.isfinite(load_array)) or np.any(load_array <= 0):
        raise InvalidInput(f"`loads` must be a non-empty 1-D sequence of numbers > 0; got {loads!r}")
    q = check_fraction("q", q)
    if not all(hasattr(activation, name) for name in ("name", "rho", "threshold", "phi", "dphi")):
        raise InvalidType(f"`activation` must be an Activation (Sigmoid or RectifiedTanh); got {activation!r}")
    if len(levels) != 2:
        raise InvalidInput(f"`levels` must be (a, b); got {levels!r}")
    a, b = check_finite_float("levels[0]", levels[0]), check_finite_float("levels[1]", levels[1])
    trials = check_positive_int("trials", trials)
    if seed is not None:
        check_positive_int("seed", seed, minimum=0)
    kind, level, duration = parse_cue(cue)
    t_max, dt = check_positive("t_max", t_max), check_positive("dt", dt)
    if dt > t_max:
        raise InvalidInput(f"`dt` must be <= `t_max`; got dt={dt!r}, t_max={t_max!r}")
    n_patterns = np.maximum(1, np.round(load_array * n)).astype(int)
    return CapacitySetup(
        n=n, loads=_readonly(load_array.copy()), n_patterns=_readonly(n_patterns), q=q, activation=activation,
        a=a, b=b, trials=trials, cue=cue, kind=kind, level=level, duration=duration, t_max=t_max, dt=dt,
        tol=_check_tol(tol),
    )


@dataclass(frozen=True)
class CapacityCell:
    """What one (load, trial) cell found: counts of its P memories, and its eigenvalue sum."""

    equilibria: int  # refined to an equilibrium still classified as the memory
    stable: int  # ... and that equilibrium has the verdict STABLE
    retrieved: int  # its cue was retrieved
    success: int  # all three
    eigenvalue_sum: float  # sum of the largest Jacobian eigenvalue over memories with an equilibrium
    eigenvalue_count: int  # how many memories that sum has


def capacity_cell(setup: CapacitySetup, n_patterns: int, seed: np.random.SeedSequence) -> CapacityCell:
    """One (load, trial) cell: draw P random patterns, design, check every memory, cue it once.

    A pure function of its arguments (all randomness from `seed`), so a cell gives the same numbers
    in any process and in any order; it is the task :func:`assocrate.sweeps.capacity_sweep` sends
    to dask workers. (Cells running concurrently in threads of one process share its BLAS thread
    pool, whose size they change, and may then differ in the last bits of `eigenvalue_sum`.)
    """
    n, q = setup.n, setup.q
    rng = np.random.default_rng(seed)
    xi = random_patterns(n, n_patterns, q, seed=rng)
    for _ in range(_MAX_REDRAWS):  # an empty pattern has no overlap; redraw (tiny N only)
        if not np.any(xi.sum(axis=0) == 0):
            break
        xi = random_patterns(n, n_patterns, q, seed=rng)
    else:
        raise InvalidInput(
            f"`n` * `q` is too small: with n={n}, q={q} a random pattern is empty too often "
            f"({_MAX_REDRAWS} draws of {n_patterns} patterns); increase n or q"
        )
    network = design(xi, setup.activation, setup.a, setup.b, q=q, r=q)
    with blas_threads_for(n * n_patterns):
        check = _check_memories(network, setup.tol)
    cues = make_cues(network, setup.kind, setup.level, duration=setup.duration, seed=rng)
    retrieved = retrieve(network, cues, t_max=setup.t_max, dt=setup.dt, seed=rng, tol=setup.tol).success
    finite = np.isfinite(check.max_eigenvalue)
    return CapacityCell(
        equilibria=int(check.equilibrium.sum()),
        stable=int(check.stable.sum()),
        retrieved=int(retrieved.sum()),
        success=int(np.sum(check.equilibrium & check.stable & retrieved)),
        eigenvalue_sum=float(check.max_eigenvalue[finite].sum()),
        eigenvalue_count=int(finite.sum()),
    )


#: The per-cell counts of a capacity experiment, in the order of :func:`capacity_rates`' columns.
RATE_COUNTS = ("equilibria", "stable", "retrieved", "success")


def capacity_rates(
    n_patterns: np.ndarray, counts: np.ndarray, eigenvalue_sum: np.ndarray, eigenvalue_count: np.ndarray,
    done: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-load rates (L, 4) in the order of `RATE_COUNTS` and mean largest eigenvalue (L,).

    `counts` (L, T, 4), `eigenvalue_sum` and `eigenvalue_count` (L, T) hold the cells; only cells
    with `done` (L, T) count. Rates are totals over the finished trials divided by P times their
    number (NaN for a load with none); sums run over trials in order, so every caller gets the
    same floating-point numbers.
    """
    n_loads, trials = done.shape
    totals = np.zeros((n_loads, len(RATE_COUNTS)))
    eigen_sum, eigen_count = np.zeros(n_loads), np.zeros(n_loads)
    for trial in range(trials):
        finished = done[:, trial]
        totals += np.where(finished[:, None], counts[:, trial], 0)
        eigen_sum += np.where(finished, eigenvalue_sum[:, trial], 0.0)
        eigen_count += np.where(finished, eigenvalue_count[:, trial], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = totals / (n_patterns * done.sum(axis=1))[:, None]
        mean_eigen = np.where(eigen_count > 0, eigen_sum / np.maximum(eigen_count, 1), np.nan)
    return rates, mean_eigen


def capacity_result(
    setup: CapacitySetup, seed: int | None, counts: np.ndarray, eigenvalue_sum: np.ndarray,
    eigenvalue_count: np.ndarray,
) -> CapacityCurve:
    """The :class:`CapacityCurve` of a finished experiment (every cell done); arrays as in `capacity_rates`."""
    rates, mean_eigen = capacity_rates(
        setup.n_patterns, counts, eigenvalue_sum, eigenvalue_count, np.ones(counts.shape[:2], dtype=bool)
    )
    return CapacityCurve(
        n_units=setup.n,
        loads=_readonly(setup.n_patterns / setup.n),
        n_patterns=_readonly(setup.n_patterns.copy()),
        trials=setup.trials,
        equilibrium_rate=_readonly(rates[:, 0].copy()),
        stable_rate=_readonly(rates[:, 1].copy()),
        retrieval_rate=_readonly(rates[:, 2].copy()),
        success_rate=_readonly(rates[:, 3].copy()),
        max_eigenvalue=_readonly(mean_eigen),
        q=setup.q,
        a=setup.a,
        b=setup.b,
        activation=repr(setup.activation),
        cue=setup.cue,
        seed=seed,
    )


def capacity_curve(
    n: int,
    loads: Sequence[float],
    q: float,
    activation: Activation,
    levels: tuple[float, float],
    trials: int,
    seed: int | None = None,
    *,
    cue: str = "delete:0.4",
    t_max: float = 10.0,
    dt: float = 0.01,
    tol: float = DEFAULT_TOL,
    progress: Callable[[int, int], None] | None = None,
) -> CapacityCurve:
    """Success rate against the load P/N for random patterns.

    For every load and trial: draw i.i.d. Bernoulli(q) patterns, design with the nominal q and
    r = q, refine every memory to a true equilibrium, test its local stability through the
    reduced eigenproblem, and cue it once. The cells run one after the other in this process;
    :func:`assocrate.sweeps.capacity_sweep` runs the same cells on dask.distributed, with
    checkpoints, and gives the same numbers.

    Parameters
    ----------
    n : int
        Number of units N.
    loads : sequence of float
        Loads P/N > 0; ``P = max(1, round(load * n))``.
    q : float
        Activity.
    activation : Activation
    levels : (float, float)
        ``(a, b)``.
    trials : int
        Pattern sets per load.
    seed : int or None
        Seeds every pattern set, cue and run: cell (load i, trial t) uses child ``i * trials + t``
        of ``numpy.random.SeedSequence(seed).spawn``.
    cue : str, default "delete:0.4"
        Cue spec (see :func:`parse_cue`).
    t_max, dt, tol :
        As in :func:`retrieve`.
    progress : callable, optional
        Called as ``progress(done, total)`` after every (load, trial) cell.

    Returns
    -------
    CapacityCurve

    See Also
    --------
    assocrate.sweeps.capacity_sweep : the same cells on dask.distributed, as an xarray Dataset.

    Examples
    --------
    >>> from assocrate.core.activations import Sigmoid
    >>> curve = capacity_curve(500, [0.01], 0.2, Sigmoid(4.8, 0.2), (-0.3, 0.95), trials=1, seed=0)
    >>> curve.success_rate.tolist()
    [1.0]
    """
    setup = capacity_setup(n, loads, q, activation, levels, trials, seed, cue=cue, t_max=t_max, dt=dt, tol=tol)
    shape = (setup.n_patterns.size, setup.trials)
    counts = np.zeros((*shape, len(RATE_COUNTS)), dtype=np.int64)
    eigenvalue_sum, eigenvalue_count = np.zeros(shape), np.zeros(shape, dtype=np.int64)
    for index, child in enumerate(setup.seeds(seed)):
        i, trial = divmod(index, setup.trials)
        cell = capacity_cell(setup, int(setup.n_patterns[i]), child)
        counts[i, trial] = [getattr(cell, name) for name in RATE_COUNTS]
        eigenvalue_sum[i, trial], eigenvalue_count[i, trial] = cell.eigenvalue_sum, cell.eigenvalue_count
        if progress is not None:
            progress(index + 1, counts.shape[0] * setup.trials)
    return capacity_result(setup, seed, counts, eigenvalue_sum, eigenvalue_count)


# ---------------------------------------------------------------------------------------------
# Letter bitmaps
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class LetterPatterns:
    """Letter bitmaps as binary patterns (shipped in ``assocrate/data/letters.txt``).

    Attributes
    ----------
    patterns : numpy.ndarray of bool, shape (N, K)
        Column k is letter k: its ``rows * columns`` pixels (row-major) first, then the padding units.
    letters : str
        The K letters, in column order.
    shape : (int, int)
        Bitmap shape (rows, columns).
    """

    patterns: np.ndarray
    letters: str
    shape: tuple[int, int]

    @property
    def n_pixels(self) -> int:
        """Pixels per bitmap."""
        return self.shape[0] * self.shape[1]

    def image(self, x: np.ndarray) -> np.ndarray:
        """The bitmap part of a state or pattern (N,) as a 2-D image of `shape`."""
        return np.asarray(x)[: self.n_pixels].reshape(self.shape)

    def __repr__(self) -> str:
        return f"LetterPatterns(letters={self.letters!r}, shape={self.shape}, n_units={self.patterns.shape[0]})"


def _read_letters() -> tuple[dict[str, np.ndarray], tuple[int, int]]:
    text = resources.files("assocrate").joinpath("data/letters.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    bitmaps, i = {}, 0
    while i < len(lines):
        name, rows = lines[i], []
        i += 1
        while i < len(lines) and set(lines[i]) <= {"#", "."} and len(lines[i]) > 1:
            rows.append([c == "#" for c in lines[i]])
            i += 1
        bitmaps[name] = np.array(rows, dtype=bool)
    shapes = {b.shape for b in bitmaps.values()}
    if len(shapes) != 1:  # pragma: no cover - guards the shipped data file
        raise InvalidInput(f"letters.txt holds bitmaps of different shapes: {sorted(shapes)}")
    return bitmaps, shapes.pop()


def letter_patterns(
    letters: str | None = None,
    *,
    padding: int = 0,
    q: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> LetterPatterns:
    """Letter bitmaps (12 x 10 pixels) as patterns, optionally padded with random units.

    Letters share many pixels (their overlaps are large and unequal), so a network of bare
    bitmaps is far from the design's assumptions. Padding appends `padding` i.i.d. Bernoulli(q)
    units to every pattern, which makes the patterns nearly independent while the picture keeps
    showing the letter.

    Parameters
    ----------
    letters : str, optional
        Which letters, e.g. ``"ACEHKOSTXZ"`` (all shipped letters by default).
    padding : int, default 0
        Random units appended to each pattern.
    q : float, default 0.2
        Activity of the padding units.
    seed : int, numpy.random.Generator or None
        Seeds the padding.

    Returns
    -------
    LetterPatterns

    Examples
    --------
    >>> letters = letter_patterns("TX", padding=380, seed=0)
    >>> letters.patterns.shape, letters.shape
    ((500, 2), (12, 10))
    """
    bitmaps, shape = _read_letters()
    letters = "".join(bitmaps) if letters is None else str(letters)
    unknown = sorted(set(letters) - set(bitmaps))
    if unknown or not letters:
        raise InvalidInput(f"`letters` must be a non-empty string of {''.join(bitmaps)!r}; got {letters!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise InvalidInput(f"`padding` must be an integer >= 0; got {padding!r}")
    pixels = np.column_stack([bitmaps[letter].ravel() for letter in letters])
    if padding:
        pixels = np.vstack([pixels, random_patterns(int(padding), len(letters), check_fraction("q", q), seed=seed)])
    pixels.flags.writeable = False
    return LetterPatterns(patterns=pixels, letters=letters, shape=shape)
