"""The projection rule for any pattern set, and when it can be symmetric (theory.md §3), proved symbolically.

Statement
---------
Let ``Xi`` (N x P, 0/1) have linearly independent columns, ``H = a 1^T + (b - a) Xi`` and
``X = pa 1^T + (pb - pa) Xi`` (the rescaled memories in current and rate units, ``pa = phi(a)``,
``pb = phi(b)``), ``G = X^T X`` and ``S = X^T H`` (P x P).

1. ``W = H G^{-1} X^T`` satisfies ``W X = H``: every rescaled memory is an exact equilibrium,
   whatever the activities and overlaps (``G`` is invertible when the columns of X are independent).
2. ``S - S^T = (pa b - pb a) (n 1^T - 1 n^T)`` with ``n_mu = |xi^mu|`` the activities. A
   symmetric W with ``W X = H`` gives ``S = X^T W X``, which is symmetric; so one exists only if all
   activities are equal or ``pa b = pb a``.
3. Conversely, when ``S`` is symmetric and invertible, ``W = H S^{-1} H^T`` is symmetric and
   ``W X = H S^{-1} S^T = H``.

Derivation
----------
(1) ``W X = H G^{-1} (X^T X) = H``. (2) Entry ``(mu, nu)`` of ``S`` is, from counts alone,
``N pa a + pa (b - a) n_nu + (pb - pa) a n_mu + (pb - pa)(b - a) o_{mu nu}`` with the overlap
``o`` symmetric; subtract the transpose. (3) as written. Step (2) is checked with the counts
symbolic; steps (1) and (3) on explicit pattern matrices with the levels and rates symbolic,
every entry an exact polynomial identity after multiplying by ``det G`` (or ``det S``) and
the adjugate, and that determinant checked to be a nonzero polynomial.
"""

from __future__ import annotations

import sympy

from proofs._result import ProofResult, check_zero
from proofs._rule import SYMBOLS

__all__ = [
    "UNEQUAL_PATTERNS",
    "EQUAL_ACTIVITY_PATTERNS",
    "prove_projection_identity",
    "prove_symmetry_criterion",
]

#: Activities 3, 2, 1 and unequal overlaps: the betteti rule is not exact here.
UNEQUAL_PATTERNS = sympy.Matrix([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]])
#: Activities all 2, overlaps 1, 0, 1: unequal overlaps, equal activity.
EQUAL_ACTIVITY_PATTERNS = sympy.Matrix([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1], [0, 0, 0]])

_STATEMENT_IDENTITY = (
    "For linearly independent patterns, W = H (X^T X)^{-1} X^T with H = a 1^T + (b-a) Xi and "
    "X = pa 1^T + (pb-pa) Xi satisfies W X = H (every rescaled memory is an exact equilibrium)."
)
_STATEMENT_SYMMETRY = (
    "S = X^T H satisfies S - S^T = (pa b - pb a)(n 1^T - 1 n^T) (n = activities), so a symmetric W "
    "with W X = H needs equal activities or pa b = pb a; then W = H S^{-1} H^T is symmetric and W X = H."
)


def _levels(Xi: sympy.Matrix) -> tuple[sympy.Matrix, sympy.Matrix]:
    s = SYMBOLS
    ones = sympy.ones(*Xi.shape)
    return s.a * ones + (s.b - s.a) * Xi, s.pa * ones + (s.pb - s.pa) * Xi


def prove_projection_identity(Xi: sympy.Matrix = UNEQUAL_PATTERNS) -> ProofResult:
    """Prove ``W X = H`` for ``W = H (X^T X)^{-1} X^T`` on the explicit pattern matrix `Xi`.

    Examples
    --------
    >>> prove_projection_identity().holds
    True
    """
    Xi = sympy.Matrix(Xi)
    H, X = _levels(Xi)
    G = X.T * X
    det = sympy.expand(G.det(method="berkowitz"))
    W_scaled = H * G.adjugate(method="berkowitz") * X.T  # det(G) W, polynomial entries
    checks = [
        check_zero("det(X^T X) W X - det(X^T X) H = 0 (every entry, levels and rates symbolic)",
                   (W_scaled * X - det * H).applyfunc(sympy.expand)),
        # passes iff det != 0 (the residual is 1 when det(X^T X) is the zero polynomial)
        check_zero("det(X^T X) is not the zero polynomial (independent patterns)", sympy.Integer(int(det == 0))),
    ]
    return ProofResult.from_checks("projection_identity", _STATEMENT_IDENTITY, checks)


def prove_symmetry_criterion(Xi: sympy.Matrix = EQUAL_ACTIVITY_PATTERNS) -> ProofResult:
    """Prove the symmetry criterion: the count formula for ``S - S^T``, and ``W = H S^{-1} H^T`` on `Xi`.

    `Xi` must have equal activities (the symmetric construction is checked on it).

    Examples
    --------
    >>> prove_symmetry_criterion().holds
    True
    """
    s = SYMBOLS
    n_mu, n_nu, o = sympy.symbols("n_mu n_nu o", nonnegative=True)

    def entry(n_left, n_right):  # (X^T H)_{left,right} from the counts
        return s.N * s.pa * s.a + s.pa * (s.b - s.a) * n_right + (s.pb - s.pa) * s.a * n_left + (s.pb - s.pa) * (s.b - s.a) * o

    antisymmetric = entry(n_mu, n_nu) - entry(n_nu, n_mu)
    Xi = sympy.Matrix(Xi)
    H, X = _levels(Xi)
    S = X.T * H
    n = [sum(Xi[:, j]) for j in range(Xi.cols)]
    formula = sympy.Matrix(Xi.cols, Xi.cols, lambda i, j: (s.pa * s.b - s.pb * s.a) * (n[j] - n[i]))
    checks = [
        check_zero("(X^T H)_{mu nu} - (X^T H)_{nu mu} - (pa b - pb a)(n_nu - n_mu) = 0 from the counts",
                   antisymmetric - (s.pa * s.b - s.pb * s.a) * (n_nu - n_mu)),
        check_zero("on Xi: S - S^T equals the count formula", S - S.T - formula),
    ]
    if len(set(n)) == 1:
        det = sympy.expand(S.det(method="berkowitz"))
        W_scaled = H * S.adjugate(method="berkowitz") * H.T  # det(S) W, polynomial entries
        checks += [
            check_zero("equal activities: S - S^T = 0", (S - S.T).applyfunc(sympy.expand)),
            check_zero("det(S) W with W = H S^{-1} H^T is symmetric", (W_scaled - W_scaled.T).applyfunc(sympy.expand)),
            check_zero("det(S) (W X - H) = 0", (W_scaled * X - det * H).applyfunc(sympy.expand)),
            check_zero("det(S) is not the zero polynomial", sympy.Integer(int(det == 0))),
        ]
    return ProofResult.from_checks("symmetry_criterion", _STATEMENT_SYMMETRY, checks)


if __name__ == "__main__":  # pragma: no cover
    print(prove_projection_identity().summary())
    print(prove_symmetry_criterion().summary())
    print(prove_symmetry_criterion(UNEQUAL_PATTERNS).summary())
