"""The projection rule: exact memories for any linearly independent pattern set (theory.md §3).

With ``H = a 1^T + (b - a) Xi`` and ``X = phi(a) 1^T + (phi(b) - phi(a)) Xi`` (N x P, the rescaled
memories in current and rate units):

- unequal activities: ``W = H (X^T X)^{-1} X^T`` (not symmetric), so ``W X = H``;
- equal activities: ``S = X^T H`` is symmetric and ``W = H S^{-1} H^T`` is the symmetric solution.

Both are held as ``W = L diag(c) R^T`` with factors N x P (``proofs/projection_rule.py``):
``X^T X = Q diag(lam) Q^T`` gives ``L = H Q``, ``c = 1/lam``, ``R = X Q``; ``S = Q diag(lam) Q^T``
gives ``L = R = H Q``, ``c = 1/lam``. Building them costs O(N P^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInput

__all__ = ["CONDITION_LIMIT", "ProjectionFactors", "projection_factors"]

#: Largest condition number of ``X^T X`` (or ``S``) accepted: beyond it the factors lose more than
#: 8 of the 16 digits, and the memories are no longer exact to the 1e-8 level.
CONDITION_LIMIT = 1e8


@dataclass(frozen=True)
class ProjectionFactors:
    """``W = L diag(c) R^T`` of the projection rule; ``R is None`` when W is symmetric (``R = L``)."""

    L: np.ndarray
    c: np.ndarray
    R: np.ndarray | None
    condition: float


def projection_factors(xi: np.ndarray, phi_a: float, phi_b: float, a: float, b: float) -> ProjectionFactors:
    """Factors of the projection rule for the validated bool patterns `xi` (N x P).

    Raises
    ------
    InvalidInput
        If the rescaled patterns are linearly dependent (``cond(X^T X) > CONDITION_LIMIT``), or,
        for equal activities, if ``X^T H`` is singular at these levels.

    Examples
    --------
    >>> xi = np.array([[1, 0], [1, 1], [0, 1], [0, 1]], dtype=bool)
    >>> f = projection_factors(xi, 0.01, 0.99, -0.3, 0.95)
    >>> X, H = 0.01 + 0.98 * xi, -0.3 + 1.25 * xi
    >>> bool(np.allclose((f.L * f.c) @ (f.R.T @ X), H, atol=1e-12)), f.R is None
    (True, False)
    """
    H = a + (b - a) * xi.astype(np.float64)
    X = phi_a + (phi_b - phi_a) * xi.astype(np.float64)
    lam, Q = np.linalg.eigh(X.T @ X)
    condition = float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf
    if not condition <= CONDITION_LIMIT:
        raise InvalidInput(
            f"`patterns` must be linearly independent for rule='projection' (the rescaled patterns "
            f"phi(a) 1 + (phi(b) - phi(a)) xi span fewer than P={xi.shape[1]} dimensions: cond(X^T X)="
            f"{condition:.3g}, allowed <= {CONDITION_LIMIT:g}); remove repeated or dependent patterns"
        )
    sizes = np.count_nonzero(xi, axis=0)
    if np.all(sizes == sizes[0]):
        S = X.T @ H
        lam_s, Q_s = np.linalg.eigh(0.5 * (S + S.T))  # S is symmetric for equal activities
        smallest = float(np.min(np.abs(lam_s)))
        condition_s = float(np.max(np.abs(lam_s)) / smallest) if smallest > 0 else np.inf
        if not condition_s <= CONDITION_LIMIT:
            raise InvalidInput(
                f"`a`, `b` make X^T H singular for these equal-activity patterns (cond={condition_s:.3g}, "
                f"allowed <= {CONDITION_LIMIT:g}); got a={a!r}, b={b!r}: move a or b"
            )
        return ProjectionFactors(H @ Q_s, 1.0 / lam_s, None, condition_s)
    return ProjectionFactors(H @ Q, 1.0 / lam, X @ Q, condition)
