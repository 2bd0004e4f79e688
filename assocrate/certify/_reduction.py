"""Units grouped into interchangeable classes, and W on the classes (theory.md §1 "Row types").

Units ``i`` and ``j`` are interchangeable when their rows of the factors are equal (equal pattern
rows) and, with an input, ``u_i = u_j``. With ``S`` the N x k indicator of the k classes and
``n = S^T 1`` their sizes, ``W = L C R^T = S W_hat S^T`` with ``W_hat = L_hat C R_hat^T`` (k x k,
one representative row per class; ``L = R = U`` for a symmetric W), and ``W v = 0`` and
``W^T v = 0`` for every v that sums to zero inside each class. Every certificate of :mod:`assocrate.certify` is computed on this partition; the
*trivial* partition (every unit its own class, ``W_hat = W``) is the full N x N problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import flint
import numpy as np

from .._validation import check_choice, check_input
from .._validation import readonly as _readonly
from ..certify._rational import fraction_vector, to_fmpq, to_fraction
from ..certify.exact import to_rational
from ..errors import InvalidInput

__all__ = [
    "MAJORANTS",
    "REDUCTIONS",
    "Partition",
    "ReducedNetwork",
    "input_vector",
    "network_digest",
    "partition",
    "reduce_network",
]

#: Allowed values of the ``reduction`` option: ``"types"`` (row types, refined by the input) or
#: ``"full"`` (every unit its own class: the N x N problem).
REDUCTIONS = ("types", "full")
#: Bounds of ``|W_hat| diag(n) y`` (y >= 0) in the Metzler condition: ``"exact"`` is ``|W_hat|``
#: itself (k x k); ``"lowrank"`` the entrywise majorant ``|L_hat| |C| |R_hat|^T >= |W_hat|`` (rank m,
#: O(k m)); ``"cauchy-schwarz"`` the row bound ``sqrt(((W_hat o W_hat) n y)_s (n . y))`` (O(k m^2)).
MAJORANTS = ("exact", "lowrank", "cauchy-schwarz")


@dataclass(frozen=True, repr=False)
class Partition:
    """Classes of interchangeable units.

    Attributes
    ----------
    representatives : numpy.ndarray of int, shape (k,)
        The first unit of each class.
    counts : numpy.ndarray of int, shape (k,)
        Class sizes ``n_t``.
    index : numpy.ndarray of int, shape (N,)
        Class of each unit.
    reduction : str
        ``"types"`` or ``"full"``.
    """

    representatives: np.ndarray
    counts: np.ndarray
    index: np.ndarray
    reduction: str

    @property
    def n_classes(self) -> int:
        """k."""
        return int(self.counts.size)

    @property
    def n_units(self) -> int:
        """N."""
        return int(self.index.size)

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Per-class values (k,) or (k, B) as per-unit values (N,) or (N, B)."""
        return np.asarray(values)[self.index]

    def __repr__(self) -> str:
        return f"Partition(reduction={self.reduction!r}, n_units={self.n_units}, n_classes={self.n_classes})"


def input_vector(u: object, n_units: int) -> np.ndarray | None:
    """`u` (None, a scalar or shape (N,)) as a read-only float vector of length `n_units`, or None.

    Validated by :func:`assocrate._validation.check_input`, the one input normaliser.
    """
    if u is None:
        return None
    return np.broadcast_to(check_input("u", u, n_units), (n_units,))


def partition(network, *, u: object = None, reduction: str = "types") -> Partition:
    """Group the units of `network` into interchangeable classes.

    Parameters
    ----------
    network : MemoryNetwork
    u : float or numpy.ndarray of shape (N,), optional
        Constant input; units of one row type with different inputs go to different classes.
    reduction : {"types", "full"}, default "types"
        ``"types"``: row types (refined by `u`); ``"full"``: every unit its own class.

    Returns
    -------
    Partition

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> partition(net).n_classes, partition(net, u=net.patterns[:, 0] * 1.0).n_classes
    (7, 7)
    >>> partition(net, reduction="full").n_classes
    1000
    """
    reduction = check_choice("reduction", reduction, REDUCTIONS)
    n_units = network.n_units
    u_vec = input_vector(u, n_units)
    if reduction == "full":
        units = np.arange(n_units, dtype=np.int64)
        return Partition(_readonly(units.copy()), _readonly(np.ones(n_units, dtype=np.int64)), _readonly(units), "full")
    types = network.row_types
    if u_vec is None:
        index = np.asarray(types.index, dtype=np.int64)
        counts = np.asarray(types.counts, dtype=np.int64)
        n_classes = counts.size
    else:
        keys = np.empty(n_units, dtype=[("type", np.int64), ("u", np.float64)])
        keys["type"], keys["u"] = types.index, u_vec
        _, index, counts = np.unique(keys, return_inverse=True, return_counts=True)
        index = index.astype(np.int64).ravel()
        counts = counts.astype(np.int64)
        n_classes = counts.size
    first = np.full(n_classes, -1, dtype=np.int64)
    first[index[::-1]] = np.arange(n_units - 1, -1, -1)
    return Partition(_readonly(first), _readonly(counts.copy()), _readonly(index.copy()), "types")


def _class_weights(network, part: Partition) -> np.ndarray:
    """``W_hat = L_hat C R_hat^T`` (k x k, float): ``W_ij = W_hat[class(i), class(j)]``."""
    L_hat, R_hat = network.L[part.representatives], network.R[part.representatives]
    W_hat = (L_hat * network.c) @ R_hat.T
    return _readonly(0.5 * (W_hat + W_hat.T) if network.is_symmetric else W_hat)


def _exact_class_weights(network, part: Partition) -> flint.fmpq_mat:
    """``W_hat`` in exact rational arithmetic from the float factors L, C and R.

    The network's weights *are* ``L C R^T`` with the stored float entries; read as the dyadic
    rationals they are, this product is exact (and exactly symmetric when ``R = L``: C is diagonal).
    """
    c = np.asarray(network.c)
    if np.count_nonzero(network.C - np.diag(c)) != 0:
        raise InvalidInput("`network.C` must be diagonal; found off-diagonal entries")
    L_hat = to_rational(np.asarray(network.L[part.representatives]))
    R_hat = L_hat if network.is_symmetric else to_rational(np.asarray(network.R[part.representatives]))
    C = to_rational(np.diag(c))
    return L_hat * C * R_hat.transpose()


def network_digest(network) -> str:
    """SHA-256 of what defines a network: patterns, activation, levels, q, r and tau.

    Certificates record it so that :func:`~assocrate.certify.verification.verify` refuses a
    certificate made for another network.
    """
    record = {
        "shape": list(network.patterns.shape),
        "activation": [network.activation.name, float(network.activation.rho).hex(),
                       float(network.activation.threshold).hex()],
        "levels": [float(network.a).hex(), float(network.b).hex()],
        "q": float(network.q).hex(),
        "r": float(network.r).hex(),
        "tau": float(network.tau).hex(),
    }
    if getattr(network, "rule", "betteti") != "betteti":  # betteti digests stay as they were
        record["rule"] = network.rule
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode("utf-8"))
    digest.update(np.packbits(np.asarray(network.patterns, dtype=bool), axis=0).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, repr=False)
class ReducedNetwork:
    """A network's weights on a partition, in the forms the certificates need.

    Attributes
    ----------
    network : MemoryNetwork
    part : Partition

    The k x k forms (``W_hat``, ``W_tilde``, ``W_exact``, ``sign_exact``) are computed on first use;
    the products through the factors (:meth:`times_exact`, :meth:`abs_times_exact` with the
    ``"lowrank"`` majorant, :meth:`abs_times`) are O(k m) and never form them.
    """

    network: object
    part: Partition

    @cached_property
    def W_hat(self) -> np.ndarray:
        """``W_ij = W_hat[class(i), class(j)]`` (k x k, float)."""
        return _class_weights(self.network, self.part)

    @property
    def n_classes(self) -> int:
        """k."""
        return self.part.n_classes

    @cached_property
    def counts(self) -> np.ndarray:
        """Class sizes as floats."""
        return _readonly(self.part.counts.astype(float))

    @cached_property
    def W_tilde(self) -> np.ndarray:
        """``n^{1/2} W_hat n^{1/2}``: W on class-constant vectors in an orthonormal basis (k x k)."""
        root = np.sqrt(self.counts)
        return _readonly(root[:, None] * self.W_hat * root[None, :])

    @cached_property
    def W_exact(self) -> flint.fmpq_mat:
        """``W_hat`` exactly (see :func:`_exact_class_weights`)."""
        return _exact_class_weights(self.network, self.part)

    @cached_property
    def U_exact(self) -> flint.fmpq_mat:
        """``U_hat`` (k x m) exactly (symmetric W only: ``network.U`` raises otherwise)."""
        return to_rational(np.asarray(self.network.U[self.part.representatives]))

    @cached_property
    def L_exact(self) -> flint.fmpq_mat:
        """``L_hat`` (k x m) exactly."""
        return to_rational(np.asarray(self.network.L[self.part.representatives]))

    @cached_property
    def R_exact(self) -> flint.fmpq_mat:
        """``R_hat`` (k x m) exactly (``L_hat`` for a symmetric W)."""
        if self.network.is_symmetric:
            return self.L_exact
        return to_rational(np.asarray(self.network.R[self.part.representatives]))

    @cached_property
    def c_exact(self) -> list[flint.fmpq]:
        """The diagonal of C exactly."""
        return [to_fmpq(x) for x in np.asarray(self.network.c)]

    @cached_property
    def sign_exact(self) -> flint.fmpz_mat:
        """``sign(W_hat)`` exactly (k x k, entries -1, 0, 1).

        Decided in floating point where ``|fl(W_hat)|`` exceeds a rigorous bound on its rounding
        error, ``2 (m + 3) u (|L_hat| |C| |R_hat|^T)`` with ``u = 2**-53`` (the forward error of an
        m-term dot product in any summation order is at most ``gamma_m`` times the sum of the
        absolute terms; the factor 2 and the +3 cover the products, the symmetrisation and the
        rounding of the bound itself); the remaining entries are summed in exact rationals.
        """
        L = np.asarray(self.network.L[self.part.representatives], dtype=float)
        R = np.asarray(self.network.R[self.part.representatives], dtype=float)
        c = np.asarray(self.network.c, dtype=float)
        bound = (np.abs(L) * np.abs(c)) @ np.abs(R).T
        error = 2.0 * (c.size + 3) * 2.0**-53 * bound + np.finfo(float).tiny
        signs = np.where(np.abs(self.W_hat) > error, np.sign(self.W_hat), 0).astype(np.int64)
        for s, t in np.argwhere(np.abs(self.W_hat) <= error):
            exact = sum(
                to_fraction(cj) * to_fraction(a) * to_fraction(b)
                for cj, a, b in zip(c, L[s], R[t])
            )
            signs[s, t] = (exact > 0) - (exact < 0)
        k = self.n_classes
        return flint.fmpz_mat(k, k, signs.ravel().tolist())

    def times_exact(self, y) -> list[Fraction]:
        """``W_hat diag(n) y`` exactly, through the factors: ``(W x)_i`` for class-constant x = y."""
        weighted = flint.fmpq_mat(len(y), 1, [to_fmpq(n * v) for n, v in zip(self.counts_exact, y)])
        coefficients = self.R_exact.transpose() * weighted
        scaled = flint.fmpq_mat(coefficients.nrows(), 1, [coefficients[j, 0] * cj for j, cj in enumerate(self.c_exact)])
        return fraction_vector((self.L_exact * scaled).entries())

    @cached_property
    def abs_factors_exact(self) -> tuple[flint.fmpq_mat, flint.fmpq_mat, flint.fmpq_mat]:
        """``|L_hat|`` (k x m), ``|R_hat|^T`` (m x k) and ``|C|`` (m x m) exactly (floats' absolute values are exact)."""
        L = np.asarray(self.network.L[self.part.representatives], dtype=float)
        R = np.asarray(self.network.R[self.part.representatives], dtype=float)
        abs_L = to_rational(np.abs(L))
        abs_R = abs_L if self.network.is_symmetric else to_rational(np.abs(R))
        m = len(self.c_exact)
        abs_c = flint.fmpq_mat(m, m, [abs(self.c_exact[i]) if i == j else 0 for i in range(m) for j in range(m)])
        return abs_L, abs_R.transpose(), abs_c

    def abs_times(self, y: np.ndarray, majorant: str = "exact") -> np.ndarray:
        """Float ``|W_hat| diag(n) y`` (``"exact"``, k x k) or its bound for `majorant` (:data:`MAJORANTS`, no k x k object).

        For the searches of the certifiers (no rigour: the exact forms decide).
        """
        if majorant == "cauchy-schwarz":
            A = self.network.L[self.part.representatives] * self.network.c
            R = self.network.R[self.part.representatives]
            gram = (R.T * (self.counts * y)) @ R
            squares = np.sum((A @ gram) * A, axis=1)
            return np.sqrt(np.maximum(squares, 0.0) * float(np.sum(self.counts * y)))
        if majorant == "lowrank":
            L = np.abs(self.network.L[self.part.representatives])
            R = L if self.network.is_symmetric else np.abs(self.network.R[self.part.representatives])
            return L @ (np.abs(self.network.c) * (R.T @ (self.counts * y)))
        return self.abs_weights @ y

    def squares_times_exact(self, y) -> list[flint.fmpq]:
        """``(W_hat o W_hat) diag(n) y`` exactly (entrywise squares), O(k m^2) through the factors.

        ``sum_t n_t y_t W_st^2 = a_s G a_s^T`` with ``a_s`` the rows of ``L_hat C`` and the m x m
        Gram matrix ``G = R_hat^T diag(n y) R_hat`` -- the Cauchy-Schwarz bound of the Metzler check
        (:func:`~assocrate.certify.metzler.metzler_check`).
        """
        k, m = self.R_exact.nrows(), self.R_exact.ncols()
        weighted = [to_fmpq(n * v) for n, v in zip(self.counts_exact, y)]
        R = self.R_exact.entries()
        scaled = flint.fmpq_mat(k, m, [R[t * m + j] * weighted[t] for t in range(k) for j in range(m)])
        A = self.LC_exact
        Z = (A * (self.R_exact.transpose() * scaled)).entries()
        a = A.entries()
        return [sum((a[s * m + j] * Z[s * m + j] for j in range(m)), flint.fmpq(0)) for s in range(k)]

    @cached_property
    def LC_exact(self) -> flint.fmpq_mat:
        """``L_hat C`` (k x m) exactly."""
        m = len(self.c_exact)
        return self.L_exact * flint.fmpq_mat(m, m, [self.c_exact[i] if i == j else 0 for i in range(m) for j in range(m)])

    @cached_property
    def abs_weights(self) -> np.ndarray:
        """``|W_hat| diag(n)`` (k x k, float)."""
        return _readonly(np.abs(self.W_hat) * self.counts[None, :])

    def abs_times_exact(self, y, majorant: str = "exact") -> list[Fraction]:
        """An exact upper bound of ``|W_hat| diag(n) y`` for ``y >= 0``, through the factors.

        ``majorant="exact"``: ``|W_hat| diag(n) y`` itself, ``sum_j c_j l_j o (sign(W_hat) (r_j o n o y))``
        (needs the k x k signs). ``"lowrank"``: ``M diag(n) y = |L_hat| (|C| (|R_hat|^T (n o y)))``
        with ``M = |L_hat| |C| |R_hat|^T >= |W_hat|`` entrywise (triangle inequality on
        ``W_st = sum_nu L_s,nu c_nu R_t,nu``), O(k m) exact operations, no k x k object; the
        ``"cauchy-schwarz"`` certificates bound their (tiny) residual spreads with it as well.
        """
        if majorant != "exact":  # "lowrank"; "cauchy-schwarz" bounds residual spreads with it too
            abs_L, abs_RT, abs_c = self.abs_factors_exact
            weighted = flint.fmpq_mat(len(y), 1, [to_fmpq(n * v) for n, v in zip(self.counts_exact, y)])
            return fraction_vector((abs_L * (abs_c * (abs_RT * weighted))).entries())
        k, m = self.L_exact.nrows(), self.L_exact.ncols()
        L, R = self.L_exact, self.R_exact
        weighted = [to_fmpq(n * v) for n, v in zip(self.counts_exact, y)]
        Y = flint.fmpq_mat(k, m, [R[t, j] * weighted[t] for t in range(k) for j in range(m)])
        Z = flint.fmpq_mat(self.sign_exact) * Y
        out = []
        for s in range(k):
            total = flint.fmpq(0)
            for j, cj in enumerate(self.c_exact):
                total += cj * L[s, j] * Z[s, j]
            out.append(to_fraction(total))
        return out

    @cached_property
    def counts_exact(self) -> list[int]:
        """Class sizes as Python ints."""
        return [int(n) for n in self.part.counts]

    def __repr__(self) -> str:
        return f"ReducedNetwork(n_units={self.part.n_units}, n_classes={self.n_classes}, reduction={self.part.reduction!r})"


def reduce_network(network, *, u: object = None, reduction: str = "types") -> ReducedNetwork:
    """The network on its partition (:func:`partition`) with ``W_hat`` (float; exact on demand)."""
    part = partition(network, u=u, reduction=reduction)
    return ReducedNetwork(network, part)
