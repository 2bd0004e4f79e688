"""The Metzler-majorant test on a box around a memory, exact and in floating point (theory.md §5 item 3).

On the box ``B = {h : |h - h_c| <= delta v}`` (v > 0, max v = 1) every slope lies below ``K^+``
(entrywise, from the interval ``h_c +- delta v``). The condition

    delta (|W| K^+ v)_i + R_i  <  delta v_i      for every unit i,            (M)

with ``R >= |W Phi(h_c) + u - h_c|`` a bound on the residual of the centre, makes B forward
invariant and contracting (proof in :mod:`assocrate.certify.radius`). ``|W|`` may be replaced by any
entrywise majorant ``M >= |W|`` (the proof only uses ``|W (Phi(h) - Phi(h_c))| <= M K^+ |e|``):
``majorant="lowrank"`` uses ``M = |L| |C| |R|^T`` through the factors, O(k m) instead of O(k^2). It is the test of the
certified retrieval radius (:mod:`~assocrate.certify.radius`) and the end of the interval-iteration
chain (:mod:`~assocrate.certify.interval`): one copy here, used by both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from ..certify._rational import to_fmpq
from ..certify._reduction import ReducedNetwork
from ..certify._rigorous import slope_upper
from ..certify.record import ConstraintResidual

__all__ = ["METZLER_CONSTRAINT", "MetzlerCheck", "is_irreducible_on_classes", "metzler_check", "metzler_ratio"]

#: Name of the Metzler condition in residual tables.
METZLER_CONSTRAINT = "(delta v - delta |W| K+ v - R) / (delta v) > 0 entrywise"


@dataclass(frozen=True)
class MetzlerCheck:
    """The exact test ``delta (|W| K+ v)_s + R_s < delta v_s`` on every class.

    Attributes
    ----------
    holds : bool
    K_plus, R : list of Fraction
        Rigorous slope upper bounds on the box and residual bounds of the centre.
    ratio : float
        ``max_s (delta (|W| K+ v)_s + R_s) / (delta v_s)`` (below 1 iff it holds).
    """

    holds: bool
    K_plus: list
    R: list
    ratio: float

    @property
    def residual(self) -> ConstraintResidual:
        """The residual-table row: ``min_s (delta v_s - lhs_s) / (delta v_s) = 1 - ratio``."""
        return ConstraintResidual(METZLER_CONSTRAINT, 1.0 - self.ratio)


def is_irreducible_on_classes(red: ReducedNetwork, K_plus: Sequence[Fraction], majorant: str = "exact") -> bool | None:
    """Whether ``|W| K+`` (or ``M K+`` for the ``"lowrank"`` majorant) is irreducible: its support graph (on units) strongly connected.

    None for the ``"cauchy-schwarz"`` bound, which is not a matrix (deciding the support of ``|W|``
    itself needs the k x k signs).

    The Metzler certificates record it (issue 13; decided by :func:`assocrate.graphs.is_irreducible`
    on the classes, whose unit graph is the class graph
    with every class blown up to its units). Condition (M) with the recorded v does not need it; it is
    what makes a Perron weight vector positive and the certified box the only invariant one of its
    shape, so a reader of the certificate is told whether it holds.
    """
    if majorant == "cauchy-schwarz":  # no matrix stands for |W| there: nothing is reported
        return None
    positive = np.array([1.0 if k > 0 else 0.0 for k in K_plus])
    if majorant == "lowrank":
        return _is_irreducible_lowrank(red, positive > 0)
    from ..graphs import is_irreducible

    if red.n_classes == 1:  # one class of n units: irreducible iff n == 1 or the class excites itself
        return bool(red.counts[0] == 1 or (red.W_hat[0, 0] != 0 and positive[0] > 0))
    return is_irreducible(np.asarray(red.W_hat), positive)


def _is_irreducible_lowrank(red: ReducedNetwork, positive: np.ndarray) -> bool:
    """Irreducibility of ``M K+``, ``M = |L| |C| |R|^T``, from the support of the factors in O(k m).

    ``(M K+)_ij > 0`` iff ``K+_j > 0`` and some nu has ``L_i,nu c_nu R_j,nu != 0``: a path
    ``j -> nu -> i`` in the bipartite graph of classes and factor columns (edges ``t -> nu`` for
    ``K+_t R_t,nu c_nu != 0``, ``nu -> s`` for ``L_s,nu != 0``). Every unit reaches every other
    in the unit graph iff all class nodes lie in one strongly connected component of the bipartite
    graph that holds a factor node (then every unit, its own class's included, is reached through
    some nu); a single unit is irreducible.
    """
    if red.part.n_units == 1:
        return True
    rows = red.part.representatives
    active = np.asarray(red.network.c) != 0
    L = (np.asarray(red.network.L[rows]) != 0) & active[None, :]
    R = (np.asarray(red.network.R[rows]) != 0) & active[None, :] & positive[:, None]
    k = L.shape[0]
    graph = scipy.sparse.bmat([[None, scipy.sparse.csr_matrix(R)], [scipy.sparse.csr_matrix(L.T), None]], format="csr")
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=True, connection="strong")
    component = labels[0]
    return bool(np.all(labels[:k] == component) and np.any(labels[k:] == component))


def metzler_check(
    red: ReducedNetwork,
    center: Sequence[Fraction],
    v: Sequence[Fraction],
    delta: Fraction,
    R: Sequence[Fraction],
    majorant: str = "exact",
) -> MetzlerCheck:
    """Check the Metzler condition (M) of the module docstring exactly (rigorous slopes, exact sums).

    `majorant`: ``"exact"`` (``|W|``) or ``"lowrank"`` (``M = |L| |C| |R|^T >= |W|``, O(k m)).
    """
    activation = red.network.activation
    K_plus = [slope_upper(activation, h - delta * vt, h + delta * vt) for h, vt in zip(center, v)]
    if majorant == "cauchy-schwarz":
        return _cauchy_schwarz_check(red, K_plus, v, delta, R)
    gain = red.abs_times_exact([k * vt for k, vt in zip(K_plus, v)], majorant)
    lhs = [delta * g + r for g, r in zip(gain, R)]
    rhs = [delta * vt for vt in v]
    holds = delta > 0 and all(vt > 0 for vt in v) and all(left < right for left, right in zip(lhs, rhs))
    ratio = max(float(left / right) if right > 0 else math.inf for left, right in zip(lhs, rhs))
    return MetzlerCheck(holds, K_plus, list(R), ratio)


def _cauchy_schwarz_check(red: ReducedNetwork, K_plus: list, v, delta: Fraction, R) -> MetzlerCheck:
    """(M) with ``(|W| K+ v)_s <= sqrt(q_s S)``, ``q = (W o W) diag(n) K+ v``, ``S = sum_t n_t K+_t v_t``.

    Cauchy-Schwarz with the weights ``w_j = K+_j v_j >= 0``: ``sum_j |W_sj| w_j <= (sum_j W_sj^2 w_j)^(1/2)
    (sum_j w_j)^(1/2)``. Exactly: ``delta sqrt(q_s S) + R_s < delta v_s`` iff ``delta v_s - R_s > 0``
    and ``delta^2 q_s S < (delta v_s - R_s)^2``, all rational.
    """
    weights = [k * vt for k, vt in zip(K_plus, v)]
    squares = red.squares_times_exact(weights)
    total = to_fmpq(sum(n * w for n, w in zip(red.counts_exact, weights)))
    d = to_fmpq(delta)
    room = [d * to_fmpq(vt) - to_fmpq(r) for vt, r in zip(v, R)]
    holds = delta > 0 and all(vt > 0 for vt in v) and all(
        gap > 0 and d * d * q * total < gap * gap for q, gap in zip(squares, room))
    ratio = max((float(d) * math.sqrt(float(q * total)) + float(r)) / (float(d) * float(vt)) if vt > 0 else math.inf
                for q, r, vt in zip(squares, R, v))
    return MetzlerCheck(bool(holds), K_plus, list(R), ratio)


def metzler_ratio(red: ReducedNetwork, majorant: str, center: np.ndarray, delta: float,
                  R: np.ndarray, perron: bool, v: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Float version of (M): the ratio and the weights v (given, uniform, or a Perron vector by power iteration).

    The products ``|W_hat| diag(n) y`` (or the majorant's) are :meth:`ReducedNetwork.abs_times`;
    the ratio is below 1 iff (M) holds in floating point.
    """
    activation = red.network.activation
    v = np.ones_like(center) if v is None else v
    for _ in range(200 if perron else 0):
        _, K_plus = activation.slope_bounds(center - delta * v, center + delta * v)
        w = red.abs_times(K_plus * v, majorant)
        if not np.all(w > 0):
            break
        w = w / w.max()
        w = np.maximum(w, 1e-6)
        if np.max(np.abs(w - v)) < 1e-12:
            v = w
            break
        v = w
    _, K_plus = activation.slope_bounds(center - delta * v, center + delta * v)
    lhs = red.abs_times(K_plus * v, majorant) + R / delta
    return float(np.max(lhs / v)), v
