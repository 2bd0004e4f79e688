"""Whose equilibrium is it? The designed state nearest to a state, in rates and the l1 norm (theory.md §5).

An equilibrium found "near memory mu" (Newton from ``x̄^mu``, or the centre of a certified box)
need not belong to mu: in an approximate design Newton may run from ``x̄^mu`` to another memory's
equilibrium. An equilibrium x *is memory mu's* when it is strictly closer, in the l1 norm of rates,
to the designed state ``x̄^mu = phi(a) 1 + (phi(b) - phi(a)) xi^mu`` than

- to every other designed state ``x̄^nu`` (nu != mu), and
- to every uniform state ``s 1`` (any real s: the quiescent, intermediate and all-on states are
  among them).

:func:`identify_states` decides this for a *set* of states given per class as intervals
``lower <= x <= upper`` (counts n), with the designed levels ``phi(a)``, ``phi(b)`` also given as
intervals, by comparing a rigorous upper bound of the distance to ``x̄^mu`` with rigorous lower
bounds of the other distances. The arithmetic is whatever the arrays hold: floats for
``assocrate check`` (a single state, ``lower = upper``), Fractions (object arrays) for the exact
check of a certificate, where the box of the certificate must be identified as mu's. One formula
serves both, so ``check`` and a certificate never name different memories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Identity", "identify_states", "identity_verdict"]


@dataclass(frozen=True)
class Identity:
    """Which designed state a set of states is nearest to (l1 norm of rates).

    Attributes
    ----------
    memory : int or None
        The memory whose designed state is strictly nearest for *every* state of the set (upper
        bound of its distance below the lower bound of every other distance); None if none is.
    nearest : str
        ``"memory nu"`` (the designed state with the smallest upper bound) or ``"uniform"`` (when the
        uniform line may be nearer), for messages.
    upper : numpy.ndarray, shape (P,)
        Upper bounds of the distance to each designed state.
    lower : numpy.ndarray, shape (P,)
        Lower bounds of the distance to each designed state.
    uniform_lower : object
        Lower bound of the distance to the line of uniform states.
    """

    memory: int | None
    nearest: str
    upper: np.ndarray
    lower: np.ndarray
    uniform_lower: object

    def summary(self) -> str:
        """One line."""
        if self.memory is not None:
            return f"memory {self.memory}'s equilibrium (l1-nearest designed state)"
        return f"not identified (nearest: {self.nearest})"


def _distance_bounds(lower, upper, target_lo, target_hi, counts):
    """Bounds of ``sum_t n_t |x_t - y_t|`` over ``x_t in [lower_t, upper_t]``, ``y_t in [target_lo_t, target_hi_t]``."""
    far = np.maximum(np.abs(upper - target_lo), np.abs(target_hi - lower))
    gap = np.maximum(np.maximum(lower - target_hi, target_lo - upper), 0 * lower)
    return (counts * far).sum(), (counts * gap).sum()


def _uniform_lower(lower, upper, counts):
    """``min_s sum_t n_t dist(s, [lower_t, upper_t])``: at a weighted median of the endpoints.

    ``dist(s, [l, u]) = (|s - l| + |s - u| - (u - l)) / 2``, so the minimiser is a weighted median of
    the 2k endpoints, each with weight n_t.
    """
    points = np.concatenate([lower, upper])
    weights = np.concatenate([counts, counts])
    order = np.argsort(points.astype(float), kind="stable")
    cumulative = np.cumsum(weights[order])
    s = points[order][int(np.searchsorted(cumulative, cumulative[-1] / 2))]
    gap = np.maximum(np.maximum(lower - s, s - upper), 0 * lower)
    return (counts * gap).sum()


def identify_states(xi_rows, counts, lower, upper, phi_a, phi_b) -> Identity:
    """The memory every state ``lower <= x <= upper`` (per class) is l1-nearest to, if any.

    Parameters
    ----------
    xi_rows : numpy.ndarray of bool, shape (k, P)
        The pattern row of each class.
    counts : numpy.ndarray, shape (k,)
        Units per class.
    lower, upper : numpy.ndarray, shape (k,)
        Rate bounds per class (floats, or Fractions in object arrays for an exact answer).
    phi_a, phi_b : tuple (lo, hi)
        Enclosures of ``phi(a)`` and ``phi(b)`` (equal ends for floats).

    Returns
    -------
    Identity

    Examples
    --------
    >>> import numpy as np
    >>> xi = np.array([[1, 0], [0, 1], [0, 0]], dtype=bool)
    >>> x = np.array([0.9, 0.2, 0.0])
    >>> identify_states(xi, np.array([1, 1, 3]), x, x, (0.0, 0.0), (1.0, 1.0)).memory
    0
    """
    xi_rows = np.asarray(xi_rows, dtype=bool)
    counts = np.asarray(counts)
    n_patterns = xi_rows.shape[1]
    ups, lows = [], []
    for nu in range(n_patterns):
        target_lo = np.where(xi_rows[:, nu], phi_b[0], phi_a[0])
        target_hi = np.where(xi_rows[:, nu], phi_b[1], phi_a[1])
        up, low = _distance_bounds(lower, upper, target_lo, target_hi, counts)
        ups.append(up)
        lows.append(low)
    uniform = _uniform_lower(lower, upper, counts)
    upper_bounds, lower_bounds = np.array(ups, dtype=object), np.array(lows, dtype=object)
    best = int(np.argmin(upper_bounds.astype(float)))
    others = [lows[nu] for nu in range(n_patterns) if nu != best]
    proved = ups[best] < uniform and all(ups[best] < other for other in others)
    nearest = f"memory {best}" if ups[best] < uniform else "uniform"
    return Identity(best if proved else None, nearest, upper_bounds, lower_bounds, uniform)


def identity_verdict(mu: int, owner: int | None) -> str:
    """The verdict when the equilibrium found near memory `mu` is not mu's (`owner`: whose it is, or None)."""
    if owner is not None:
        return f"the equilibrium near memory {mu} is memory {owner}'s"
    return (f"the equilibrium near memory {mu} is not memory {mu}'s (not l1-nearer to its designed "
            "state than to every other memory's and to the uniform states)")
