"""Eigenstructure of the exact (equal-overlap) design, proved on an explicit case (theory.md §3).

Statement
---------
For the equal-overlap pattern set of theory.md §3 (``P = floor(1 + 1/q)`` patterns; the first
``q²N`` rows all ones, then ``q(1-q)N`` blocks of ``P`` rows each equal to ``I_P``, the remaining
rows zero) and ``beta = q`` (the rule's value, since here ``r = q``), the matrix

    W = (alpha'/N) (Xi - q)(Xi - q)^T + (gamma/N) 1 1^T

has eigenvalue ``alpha = alpha' q (1 - q)`` with multiplicity ``P`` (eigenvectors
``xi^mu - q 1``), ``gamma`` with multiplicity 1 (eigenvector ``1``) and 0 with multiplicity
``N - P - 1``, with ``alpha'`` and ``gamma`` symbolic and ``q`` an exact rational.

Derivation
----------
Two independent routes, both exact:

1. *Eigenbasis.* The Gram matrix of ``U = [xi^1 - q1, …, xi^P - q1, 1]`` is
   ``diag(q(1-q)N, …, q(1-q)N, N)`` (sizes ``qN``, overlaps ``q²N``), so ``W (xi^mu - q1) =
   alpha (xi^mu - q1)`` and ``W 1 = gamma 1`` -- verified as matrix identities. The orthogonal
   complement of the columns of ``U`` (an exact rational null space of ``U^T`` of dimension
   ``N - P - 1``) is annihilated by ``W``. Together these ``N`` vectors are linearly independent,
   so they form an eigenbasis and the multiplicities are exact (as symbols ``alpha``, ``gamma``
   and 0 are distinct; for coinciding values the multiplicities add).
2. *Characteristic polynomial.* The characteristic polynomial of the dense ``N x N`` ``W`` over
   ``QQ[alpha', gamma]`` equals ``lambda^(N-P-1) (lambda - alpha)^P (lambda - gamma)``.

The default case ``N = 25``, ``q = 1/5`` fills exactly: ``q²N = 1`` row of ones and
``q(1-q)N = 4`` blocks of ``P = 6`` rows, 1 + 24 = 25 rows.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from sympy.polys.matrices import DomainMatrix

from proofs._result import Check, ProofResult, check_zero

__all__ = ["equal_overlap_matrix", "prove_eigenstructure"]

ALPHA_PRIME = sympy.Symbol("alpha_prime", real=True)
GAMMA = sympy.Symbol("gamma", real=True)
LAMBDA = sympy.Symbol("lambda")


def _as_rational(q: sympy.Rational | Fraction | int | float | str) -> sympy.Rational:
    """Exact rational for ``q``; a float is read as its shortest decimal repr (0.2 -> 1/5)."""
    if isinstance(q, bool) or not isinstance(q, (sympy.Rational, Fraction, int, float, str)):
        raise TypeError(
            f"`q` must be a rational number (sympy.Rational, Fraction, int, float or str); "
            f"got {type(q).__name__}"
        )
    value = sympy.Rational(repr(q)) if isinstance(q, float) else sympy.Rational(q)
    if not 0 < value < 1:
        raise ValueError(f"`q` must be in (0, 1); got q={value}")
    return value


def equal_overlap_matrix(
    n_units: int, q: sympy.Rational | Fraction | int | float | str
) -> sympy.Matrix:
    """The equal-overlap pattern set of theory.md §3 as an exact sympy matrix.

    Parameters
    ----------
    n_units : int
        Number of units ``N``.
    q : sympy.Rational, Fraction, float or str
        Activity, in (0, 1); converted to an exact rational (``0.2`` and ``"1/5"`` give 1/5).

    Returns
    -------
    sympy.Matrix
        ``Xi`` of shape ``(N, P)``, ``P = floor(1 + 1/q)``: ``q²N`` rows of ones, then
        ``q(1-q)N`` blocks ``I_P``, then zero rows.

    Raises
    ------
    ValueError
        If ``q²N`` or ``q(1-q)N`` is not an integer (the construction would not give every
        pattern exactly ``qN`` ones and every pair exactly ``q²N`` common units).
    TypeError
        If ``q`` is not a number.

    Examples
    --------
    >>> from proofs.eigenstructure import equal_overlap_matrix
    >>> equal_overlap_matrix(25, "1/5").shape
    (25, 6)
    """
    if isinstance(n_units, bool) or not isinstance(n_units, int):
        raise TypeError(f"`n_units` must be an int; got {type(n_units).__name__}")
    if n_units < 1:
        raise ValueError(f"`n_units` must be >= 1; got n_units={n_units}")
    qr = _as_rational(q)
    n_all_on, n_blocks = qr**2 * n_units, qr * (1 - qr) * n_units
    if not (n_all_on.is_integer and n_blocks.is_integer):
        raise ValueError(
            f"`n_units`={n_units} with `q`={qr} does not give an exact equal-overlap set: "
            f"q²N={n_all_on} and q(1-q)N={n_blocks} must both be integers (e.g. N=25, q=1/5)"
        )
    n_patterns = int(sympy.floor(1 + 1 / qr))
    Xi = sympy.zeros(n_units, n_patterns)
    row = 0
    for _ in range(int(n_all_on)):
        Xi[row, :] = sympy.ones(1, n_patterns)
        row += 1
    for _ in range(int(n_blocks)):
        Xi[row : row + n_patterns, :] = sympy.eye(n_patterns)
        row += n_patterns
    # P q(1-q) + q² <= 1 because P <= 1 + 1/q, so row <= n_units always.
    return Xi


def prove_eigenstructure(
    n_units: int = 25,
    q: sympy.Rational | Fraction | int | float | str = sympy.Rational(1, 5),
    *,
    charpoly: bool = True,
) -> ProofResult:
    """Prove the spectrum of the exact equal-overlap design: alpha (×P), gamma (×1), 0 (×N-P-1).

    Parameters
    ----------
    n_units : int, optional
        Number of units ``N`` (default 25); must make the construction exact, see
        :func:`equal_overlap_matrix`.
    q : sympy.Rational, Fraction, float or str, optional
        Activity (default 1/5).
    charpoly : bool, optional
        Also factor the characteristic polynomial of the dense ``W`` (default ``True``; about
        5 s at ``N = 25``, growing roughly like ``N^4``).

    Returns
    -------
    ProofResult
        ``name="eigenstructure"``. Checks: pattern sizes ``qN`` and overlaps ``q²N``; the
        eigenvector identities for ``alpha`` and ``gamma``; ``W`` annihilates a rational basis
        of the orthogonal complement of dimension ``N - P - 1``; the ``N`` eigenvectors are
        independent; optionally the characteristic polynomial identity.

    Raises
    ------
    ValueError, TypeError
        From :func:`equal_overlap_matrix`.

    Examples
    --------
    >>> from proofs.eigenstructure import prove_eigenstructure
    >>> prove_eigenstructure(16, "1/4", charpoly=False).holds
    True
    """
    Xi = equal_overlap_matrix(n_units, q)
    qr = _as_rational(q)
    N, P = Xi.shape
    alpha = ALPHA_PRIME * qr * (1 - qr)
    one = sympy.ones(N, 1)
    U = Xi - qr * sympy.ones(N, P)
    W = (ALPHA_PRIME / N) * U * U.T + (GAMMA / N) * one * one.T

    gram = Xi.T * Xi
    expected_gram = sympy.Matrix(P, P, lambda i, j: qr * N if i == j else qr**2 * N)
    checks = [
        check_zero(f"Xi^T Xi = q²N 1 1^T + q(1-q)N I (sizes qN = {qr * N}, overlaps "
                   f"q²N = {qr**2 * N})", gram - expected_gram),
    ]
    for mu in range(P):
        checks.append(check_zero(f"W (xi^{mu + 1} - q 1) = alpha (xi^{mu + 1} - q 1), "
                                 "alpha = alpha' q (1-q)", W * U[:, mu] - alpha * U[:, mu]))
    checks.append(check_zero("W 1 = gamma 1", W * one - GAMMA * one))

    basis = U.row_join(one)
    null = basis.T.nullspace()  # exact rational basis of span(U)^perp
    checks.append(
        Check(f"span(xi^mu - q1, 1)^perp has dimension N - P - 1 = {N - P - 1}", "zero",
              sympy.Integer(len(null) - (N - P - 1)), len(null) == N - P - 1)
    )
    if null:
        Z = sympy.Matrix.hstack(*null)
        checks.append(check_zero(f"W annihilates the {len(null)} null vectors", W * Z))
        full = basis.row_join(Z)
    else:
        full = basis
    rank = full.rank()
    checks.append(Check(f"the {full.cols} eigenvectors are linearly independent (rank N = {N})",
                        "zero", sympy.Integer(rank - N), rank == N and full.cols == N))

    if charpoly:
        dW = DomainMatrix.from_Matrix(W)  # over QQ[alpha_prime, gamma]: exact
        coeffs = dW.charpoly()  # leading coefficient first
        poly = sum(dW.domain.to_sympy(c) * LAMBDA ** (N - k) for k, c in enumerate(coeffs))
        expected = LAMBDA ** (N - P - 1) * (LAMBDA - alpha) ** P * (LAMBDA - GAMMA)
        check = check_zero(
            f"det(lambda I - W) = lambda^{N - P - 1} (lambda - alpha)^{P} (lambda - gamma)",
            sympy.expand(poly - expected),
        )
        checks.append(check)

    statement = (
        f"Equal-overlap design, N={N}, q={qr}, P={P}, beta=q: W has eigenvalues "
        f"alpha = alpha' q(1-q) (x{P}, eigenvectors xi^mu - q1), gamma (x1, eigenvector 1) and "
        f"0 (x{N - P - 1}), with alpha', gamma symbolic."
    )
    return ProofResult.from_checks("eigenstructure", statement, checks)


if __name__ == "__main__":
    print(prove_eigenstructure().summary())
