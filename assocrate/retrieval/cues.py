"""Cues for retrieval experiments: corrupted stored patterns, noisy rates and input pulses (theory.md §7).

A cue is a starting rate vector (and, for input cues, a pulse ``u = kappa xi``) made from a stored
memory; :func:`make_cues` builds a batch of them as a :class:`CueSet`, :func:`nonstored_cues`
one from patterns that are not stored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
from ..core.design import MemoryNetwork
from ..core.equilibria import uniform_states
from ..core.patterns import random_patterns
from ..dynamics import Pulses, pulse
from ..errors import InvalidInput

__all__ = [
    "CUE_KINDS",
    "CueSet",
    "add_noise",
    "concatenate_cues",
    "cue_rates",
    "delete_active",
    "flip",
    "input_cue",
    "make_cues",
    "nonstored_cues",
    "parse_cue",
    "user_cues",
    "rate_levels",
]

#: Cue kinds understood by :func:`make_cues` and :func:`parse_cue`, with the meaning of the level.
CUE_KINDS = {
    "delete": "fraction of the active units of the pattern switched off, in [0, 1]",
    "flip": "fraction of all units flipped, in [0, 1]",
    "noise": "standard deviation of Gaussian noise added to the memory's rates (clipped to [0, 1]), >= 0",
    "input": "amplitude kappa of an input pulse u = kappa xi on [0, duration) from the quiescent state, > 0",
}


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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> bool(np.array_equal(cue_rates(net, net.patterns), net.memory_rates()))
    True
    """
    cue = np.asarray(binary)
    if cue.shape[:1] != (network.n_units,) or cue.ndim > 2:
        raise InvalidInput(f"`binary` must have shape ({network.n_units},) or ({network.n_units}, B); got {cue.shape}")
    phi_a, phi_b = rate_levels(network)
    return phi_a + (phi_b - phi_a) * cue.astype(float)


def rate_levels(network: MemoryNetwork) -> tuple[float, float]:
    """``(phi(a), phi(b))``: the rates of inactive and active units in the rescaled memories."""
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

    def summary(self) -> str:
        """The kind and level, how many cues from how many memories, and the input, on one line."""
        stored = self.cued >= 0
        parts = [f"{int(stored.sum())} from {np.unique(self.cued[stored]).size} stored memories"] if stored.any() else []
        parts += [f"{int((~stored).sum())} from patterns not stored"] if not stored.all() else []
        parts += ["with an input pulse"] if self.u is not None else []
        return f"{self.n_cues} cue{'s' if self.n_cues != 1 else ''} {self.spec}: " + ", ".join(parts)

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
    """The lowest uniform equilibrium rate; ``phi(a)`` (the memories' inactive rate) for the projection rule."""
    if network.rule != "betteti":
        return float(network.activation.phi(network.a))
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
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> cues = aa.make_cues(net, "delete", 0.4, trials=2, seed=0)
    >>> cues.n_cues, cues.cued.tolist()
    (12, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    >>> cues.summary()
    '12 cues delete:0.4: 12 from 6 stored memories'
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


def user_cues(
    network: MemoryNetwork,
    cues: np.ndarray,
    *,
    cued: np.ndarray | None = None,
    units: np.ndarray | None = None,
) -> CueSet:
    """Cues a user brings: rates in [0, 1] or binary patterns, one per column, on all or some units.

    Parameters
    ----------
    network : MemoryNetwork
    cues : array_like, shape (N, B) or (len(units), B); or (N,) for one cue
        An array whose entries are all 0 or 1 (bool, integer or float, as a .csv gives) is read
        as binary patterns, mapped to the memory rates ``phi(a) + (phi(b) - phi(a)) cue`` (as
        :func:`cue_rates`); any other float array is rates in [0, 1] used as they are (no rate
        function reaches exactly 0 and 1 together, so the two readings do not collide in practice).
    cued : array_like of int, shape (B,), optional
        The memory each column cues (-1: none); default -1 for every column.
    units : array_like of int or bool, optional
        The units the cue covers (indices, or a mask of length N); the other units start at the
        quiescent rate (the lowest uniform state; ``phi(a)`` for the projection rule).

    Returns
    -------
    CueSet
        ``kind="user"``, ``level=0``.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> half = user_cues(net, net.patterns[:500, :2], cued=[0, 1], units=np.arange(500))
    >>> half.x0.shape, half.cued.tolist()
    ((1000, 2), [0, 1])
    """
    array = np.asarray(cues)
    if array.dtype.kind not in "biuf":
        raise InvalidInput(f"`cues` must be a numeric or boolean array; got dtype {array.dtype}")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] == 0:
        raise InvalidInput(f"`cues` must have shape (n_units, B) with B >= 1; got {np.shape(cues)}")
    if units is None:
        index = np.arange(network.n_units)
    else:
        mask_or_index = np.asarray(units)
        if mask_or_index.dtype == np.bool_:
            if mask_or_index.shape != (network.n_units,):
                raise InvalidInput(f"`units` as a mask must have shape ({network.n_units},); got {mask_or_index.shape}")
            index = np.flatnonzero(mask_or_index)
        else:
            index = np.asarray([check_index("units", i, network.n_units) for i in mask_or_index.ravel()], dtype=np.int64)
        if np.unique(index).size != index.size:
            raise InvalidInput("`units` must not repeat a unit")
    if array.shape[0] != index.size:
        raise InvalidInput(
            f"`cues` must have one row per cued unit: {index.size} rows"
            f"{'' if units is None else ' (the length of `units`)'}; got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise InvalidInput("`cues` must be finite; found NaN or inf")
    binary = np.all((array == 0) | (array == 1))
    if array.dtype.kind in "biu" or binary:
        if not binary:
            raise InvalidInput("`cues` as an integer array must be binary (0 or 1); pass floats for rates")
        phi_a, phi_b = rate_levels(network)  # cue_rates' map, on the cued units only
        rates = phi_a + (phi_b - phi_a) * array.astype(float)
    else:
        if np.any((array < 0) | (array > 1)):
            raise InvalidInput(f"`cues` as rates must lie in [0, 1]; got values in [{array.min():g}, {array.max():g}]")
        rates = array.astype(float)
    x0 = np.full((network.n_units, array.shape[1]), _quiescent_rate(network))
    x0[index] = rates
    if cued is None:
        cued_array = np.full(array.shape[1], -1, dtype=np.int64)
    else:
        cued_array = np.asarray(cued).ravel()
        if cued_array.size != array.shape[1]:
            raise InvalidInput(f"`cued` must name one memory per cue column ({array.shape[1]}); got {cued_array.size}")
        cued_array = np.array([-1 if int(mu) == -1 else check_index("cued", int(mu), network.n_patterns)
                               for mu in cued_array], dtype=np.int64)
    return CueSet(x0=_readonly(np.ascontiguousarray(x0)), cued=_readonly(cued_array), u=None, kind="user", level=0.0)


def nonstored_cues(
    network: MemoryNetwork, n_cues: int, *, q: float | None = None, seed: int | np.random.Generator | None = None
) -> CueSet:
    """Cues from random patterns that are not stored (same activity q); ``cued = -1``.

    A healthy network sends them to the quiescent state.

    Parameters
    ----------
    network : MemoryNetwork
    n_cues : int
        Number of random patterns B.
    q : float, optional
        Their activity; the network's q by default.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    CueSet
        Kind ``"nonstored"``, level q.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> nonstored_cues(net, 3, seed=0).summary()
    '3 cues nonstored:0.2: 3 from patterns not stored'
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


def concatenate_cues(cue_sets: Sequence[CueSet]) -> CueSet:
    """One batch of the cues of several cue sets of one kind, in order (no input; level NaN)."""
    return CueSet(
        x0=_readonly(np.ascontiguousarray(np.hstack([c.x0 for c in cue_sets]))),
        cued=_readonly(np.concatenate([c.cued for c in cue_sets])),
        u=None,
        kind=cue_sets[0].kind,
        level=math.nan,
    )
