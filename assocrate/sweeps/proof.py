"""Proved phase diagrams: an exact verdict for every (rho, threshold) cell (theory.md §4, §5).

For an exact design (equal sizes and overlaps) the memories are equilibria and, with ``D_mu`` the
slopes at memory mu, the Jacobian of either form has the spectrum of
``(-I + D^{1/2} W D^{1/2}) / tau``. On the row types (sizes n, class weights ``W_hat``,
:mod:`assocrate.certify._reduction`) D is class-constant, W kills every vector that sums to zero
inside each class, and on the support S of D (the classes with ``phi' > 0``):

    memory mu is stable   iff   A(d) = diag(n_t / d_t) - n W_hat n   is positive definite on S
                                (t in S, d_t = phi'(h_t) at the memory).

Proof: ``I - D^{1/2} W D^{1/2}`` is congruent (by ``D_S^{-1/2}``) to ``D_S^{-1} - W_SS`` on the
units of S and is the identity elsewhere; ``D_S^{-1} - W_SS`` is block diagonal on
class-constant vectors (where it is ``A(d)`` in the coordinates ``x = S y``, up to the congruence by
``n``) and within-class zero-sum vectors (where it is ``D^{-1} > 0``); Sylvester's law of inertia
keeps the signs. ``A`` is decreasing in d (Loewner order), so with rigorous slope enclosures
``d_lo <= d <= d_hi`` (ball arithmetic, :mod:`assocrate.certify._rigorous`):

- **stable-proved**: ``A(d_hi)`` is positive definite, decided exactly (python-flint). Then
  ``A(d) > A(d_hi) > 0``: ``P = D^{-1}`` is a Lyapunov certificate,
  ``J^T P + P J = (2/tau)(W - D^{-1}) < 0`` for the true slopes (theory.md §4, explicit certificate;
  where some slopes are 0 (rectified tanh below threshold) the rows of ``J_rate`` of those units
  are ``-e_i / tau`` and ``P = diag(D_S^{-1}, p I)`` works for p large enough, by a Schur complement);
- **unstable-proved**: a rational v, supported where ``d_lo > 0``, with ``v^T A(d_lo) v < 0``
  (the float eigenvector of the smallest eigenvalue, rounded and checked exactly), or, failing that,
  ``A(d_lo)`` exactly not positive definite with ``det A(d_lo) != 0``. Then
  ``v^T A(d) v <= v^T A(d_lo) v < 0``: ``D^{1/2} W D^{1/2} - I`` has a positive eigenvalue (the
  witness in its coordinates is ``D^{-1/2} n^{1/2}``-scaled v), so the memory is unstable;
- **undecided**: neither (an eigenvalue within the enclosure width of 0).

A cell is stable-proved when every memory is, unstable-proved when some memory is. The network of a
cell is the one :func:`~assocrate.core.design.design` stores: ``W = U C U^T`` with
``U = [Xi - beta, 1]`` and ``C = diag(alpha'/N, ..., gamma/N)`` in floating point, read exactly.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from ..certify._rational import to_fmpq
from ..certify._rigorous import slope_lower, slope_upper
from ..certify.blocks import round_vector
from ..certify.exact import is_positive_definite_exact
from ..core.activations import activation_from_name
from ..core.patterns import row_types

__all__ = ["NO_NETWORK", "PROOF_MEANINGS", "STABLE_PROVED", "UNDECIDED", "UNSTABLE_PROVED", "proof_variable",
           "prove_cells"]

#: Codes of the ``proof`` variable.
NO_NETWORK, UNDECIDED, STABLE_PROVED, UNSTABLE_PROVED = -1, 0, 1, 2
#: The meaning of each code (CF ``flag_meanings``).
PROOF_MEANINGS = {NO_NETWORK: "no-network", UNDECIDED: "undecided", STABLE_PROVED: "stable-proved",
                  UNSTABLE_PROVED: "unstable-proved"}

#: Exact definiteness by FLINT's fraction-free LU (Sylvester's criterion): for these k x k
#: matrices (k = 7 on the paper's grid) it runs in C, about 20 times faster than the float-guided route.
_METHOD = "sylvester"


def _slopes(activation, level: float) -> tuple[Fraction, Fraction]:
    """Rigorous ``d_lo <= phi'(level) <= d_hi`` (``d_hi == 0`` only where phi' is exactly 0)."""
    return slope_lower(activation, level, level), slope_upper(activation, level, level)


def _class_gram(rows: np.ndarray, counts: np.ndarray, beta: float, alpha_prime: float, gamma: float,
                n_units: int) -> flint.fmpq_mat:
    """``n W_hat n = (n U_hat) C (n U_hat)^T`` exactly, with U and C as :func:`design` stores them."""
    U = np.hstack([rows.astype(float) - beta, np.ones((rows.shape[0], 1))])
    c = np.append(np.full(rows.shape[1], alpha_prime / n_units), gamma / n_units)
    k, m = U.shape
    nU = flint.fmpq_mat(k, m, [to_fmpq(float(x)) * int(n) for row, n in zip(U, counts) for x in row])
    C = flint.fmpq_mat(m, m)
    for j, cj in enumerate(c):
        C[j, j] = to_fmpq(float(cj))
    return nU * C * nU.transpose()


def _restricted(G: flint.fmpq_mat, counts, slopes: list[Fraction], support: list[int]) -> flint.fmpq_mat:
    """``A(d) = diag(n_t / d_t) - (n W_hat n)`` on the classes of `support` (exact)."""
    size = len(support)
    A = flint.fmpq_mat(size, size)
    for i, s in enumerate(support):
        for j, t in enumerate(support):
            A[i, j] = -G[s, t]
        A[i, i] += flint.fmpq(int(counts[s])) / to_fmpq(slopes[s])
    return A


def _float_matrix(A: flint.fmpq_mat) -> np.ndarray:
    size = A.nrows()
    return np.array([[float(Fraction(int(A[i, j].p), int(A[i, j].q))) for j in range(size)] for i in range(size)])


def _unstable_witness(A: flint.fmpq_mat) -> bool:
    """Whether ``v^T A v < 0`` for the rounded eigenvector v of A's smallest eigenvalue, or A is exactly
    indefinite with ``det A != 0`` (then it has a negative eigenvalue)."""
    size = A.nrows()
    if size == 0:
        return False
    values, vectors = np.linalg.eigh(_float_matrix(A))
    if values[0] < 0:
        v = round_vector(vectors[:, 0])[1]
        column = flint.fmpq_mat(size, 1, [to_fmpq(x) for x in v])
        if (column.transpose() * A * column)[0, 0] < 0:
            return True
    return A.det() != 0 and not is_positive_definite_exact(A, method=_METHOD)


def _memory_verdict(G, counts, xi_column, slopes_a, slopes_b) -> int:
    """The verdict for one memory: the classes sit at b where its pattern is 1, at a elsewhere."""
    low = [slopes_b[0] if on else slopes_a[0] for on in xi_column]
    high = [slopes_b[1] if on else slopes_a[1] for on in xi_column]
    support = [t for t, d in enumerate(high) if d > 0]
    if not support or is_positive_definite_exact(_restricted(G, counts, high, support), method=_METHOD):
        return STABLE_PROVED
    positive = [t for t, d in enumerate(low) if d > 0]
    if _unstable_witness(_restricted(G, counts, low, positive)):
        return UNSTABLE_PROVED
    return UNDECIDED


def prove_cells(cells: dict, xi: np.ndarray, activation: str, rho: np.ndarray, threshold: np.ndarray,
                a: float, b: float) -> np.ndarray:
    """The exact verdict of every cell (codes of :data:`PROOF_MEANINGS`), shape ``(rho.size, threshold.size)``.

    `cells` holds the design scalars of the phase diagram (``valid``, ``beta``, ``alpha_prime``,
    ``gamma``); `xi` is an exact design (equal sizes and overlaps: its memories are equilibria).
    Cost per cell: two ball-arithmetic slope enclosures, one exact k x k Gram matrix and one exact
    definiteness test per distinct memory (k row types).
    """
    types = row_types(xi)
    rows, counts = types.rows, types.counts
    n_units = xi.shape[0]
    columns = {tuple(bool(x) for x in rows[:, mu]) for mu in range(rows.shape[1])}
    proof = np.full((rho.size, threshold.size), NO_NETWORK, dtype=np.int8)
    for i, gain in enumerate(rho):
        for j, x_star in enumerate(threshold):
            if not cells["valid"][i, j]:
                continue
            phi = activation_from_name(activation, rho=float(gain), threshold=float(x_star))
            slopes_a, slopes_b = _slopes(phi, a), _slopes(phi, b)
            G = _class_gram(rows, counts, float(cells["beta"][i, j]), float(cells["alpha_prime"][i, j]),
                            float(cells["gamma"][i, j]), n_units)
            verdicts = [_memory_verdict(G, counts, column, slopes_a, slopes_b) for column in columns]
            if UNSTABLE_PROVED in verdicts:
                proof[i, j] = UNSTABLE_PROVED
            elif all(v == STABLE_PROVED for v in verdicts):
                proof[i, j] = STABLE_PROVED
            else:
                proof[i, j] = UNDECIDED
    return proof


def proof_variable(proof: np.ndarray, dims: tuple[str, str]) -> tuple:
    """The Dataset variable ``proof`` (codes with CF ``flag_values`` / ``flag_meanings``)."""
    codes = sorted(PROOF_MEANINGS)
    return (dims, proof, {
        "long_name": "exact verdict of the cell (theory.md §4, §5)",
        "flag_values": np.array(codes, dtype=np.int8),
        "flag_meanings": " ".join(PROOF_MEANINGS[code] for code in codes),
        "rule": ("per memory, A(d) = diag(n/d) - n W_hat n on the classes with phi' > 0: stable-proved if A(d_hi) > 0 "
                 "exactly (P = D^-1 is a Lyapunov certificate), unstable-proved by a rational v with v^T A(d_lo) v < 0 "
                 "(or A(d_lo) indefinite and nonsingular); rigorous slope bounds d_lo <= phi' <= d_hi (assocrate.sweeps.proof)"),
    })
