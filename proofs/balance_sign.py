"""The sign of the balance term: ``sign(gamma) = sign((1 - beta) a + beta b)`` (theory.md §3).

Statement
---------
With ``D = (1 - q) pa + q pb`` and the design rule's ``beta`` and ``gamma``:

1. ``D > 0`` for ``0 < q < 1`` and ``pa, pb >= 0`` not both zero, and ``gamma D = (1 - beta) a +
   beta b`` exactly; hence ``sign(gamma) = sign((1 - beta) a + beta b)``.
2. ``0 < beta < 1`` for ``0 < q, r < 1`` and ``0 <= pa < pb``; hence the numerator
   ``(1 - beta) a + beta b`` is a strict convex combination of the levels ``a < b`` (it lies
   strictly between them), and ``gamma < 0`` -- global inhibition -- iff this weighted level is
   below zero. With ``r = q``, ``beta = q`` and the weighted level is ``(1 - q) a + q b``.

Derivation
----------
Bounded parameters are reparametrised so that sympy's assumption system can reason about them:
``q = u/(1 + u)`` and ``r = v/(1 + v)`` with ``u, v > 0`` (a bijection of (0, inf) onto (0, 1)),
``pb = pa + d`` with ``pa >= 0``, ``d > 0``, and ``b = a + e`` with ``e > 0``. Each quantity is
then brought over a common denominator and its numerator and denominator expanded into
polynomials whose terms are all products of positive or non-negative symbols with positive coefficients;
sympy derives their sign. The exact factorisations used are themselves checked to be identities:
``(1 - beta) D = (1 - q) pa + q (1 - r)(pb - pa)`` (a sum of non-negative terms, the second
positive), ``beta D = q ((1 - r) pa + r pb)``, ``(1 - beta) a + beta b - a = beta (b - a)`` and
``b - ((1 - beta) a + beta b) = (1 - beta)(b - a)``.
"""

from __future__ import annotations

import sympy

from proofs._result import ProofResult, check_positive, check_zero
from proofs._rule import SYMBOLS, design_rule

__all__ = ["prove_gamma_sign"]

_STATEMENT = (
    "D = (1-q)pa + q pb > 0 for 0<q<1, pa, pb >= 0 not both 0, and gamma*D = (1-beta)a + beta b, "
    "so sign(gamma) = sign((1-beta)a + beta b); for 0<q,r<1 and 0 <= pa < pb, 0 < beta < 1, so "
    "(1-beta)a + beta b lies strictly between a and b, and gamma < 0 iff it is below zero."
)

# Reparametrisation symbols: q = u/(1+u), r = v/(1+v), pb = pa + d, b = a + e.
_u = sympy.Symbol("u", positive=True)
_v = sympy.Symbol("v", positive=True)
_d = sympy.Symbol("d", positive=True)
_e = sympy.Symbol("e", positive=True)
_pa0 = sympy.Symbol("pa", nonnegative=True)  # pa >= 0 (may vanish)
_pb0 = sympy.Symbol("pb", nonnegative=True)  # pb >= 0 (may vanish)
_pa_pos = sympy.Symbol("pa", positive=True)
_pb_pos = sympy.Symbol("pb", positive=True)


def _unit_interval(q: sympy.Expr, r: sympy.Expr) -> dict[sympy.Symbol, sympy.Expr]:
    """Substitution sending ``q, r`` in (0, 1) to ``u/(1+u), v/(1+v)`` with ``u, v > 0``."""
    return {q: _u / (1 + _u), r: _v / (1 + _v)}


def prove_gamma_sign() -> ProofResult:
    """Prove ``sign(gamma) = sign((1 - beta) a + beta b)`` and ``0 < beta < 1``.

    Returns
    -------
    ProofResult
        ``name="gamma_sign"``. Checks, in order: ``gamma D`` equals the weighted level; ``D > 0``
        when ``pa > 0`` and when ``pb > 0`` (the other rate only ``>= 0``); the factorisations
        of ``beta D`` and ``(1 - beta) D``; ``beta > 0``; ``1 - beta > 0``; the weighted level
        minus ``a`` and ``b`` minus the weighted level are ``beta (b - a)`` and
        ``(1 - beta)(b - a)``, both ``> 0``; ``beta = q`` when ``r = q``.

    Notes
    -----
    See the module docstring for the reparametrisation that turns the interval constraints into
    sign assumptions sympy can use.

    Examples
    --------
    >>> from proofs.balance_sign import prove_gamma_sign
    >>> prove_gamma_sign().holds
    True
    """
    s = SYMBOLS
    q, r, a, b, pa, pb = s.q, s.r, s.a, s.b, s.pa, s.pb
    params = design_rule()
    beta, gamma, D = params.beta, params.gamma, params.D
    level = (1 - beta) * a + beta * b  # the weighted level, numerator of gamma
    unit = _unit_interval(q, r)
    ordered = {pb: pa + _d}  # 0 <= pa < pb
    levels = {b: a + _e}  # a < b

    def with_ordered_rates(expr: sympy.Expr) -> sympy.Expr:
        return expr.subs(unit).subs(ordered).subs(pa, _pa0)

    checks = [
        check_zero("gamma * D - ((1 - beta) a + beta b) = 0", gamma * D - level),
        check_positive("D > 0 for 0 < q < 1, pa > 0, pb >= 0",
                       D.subs(unit).subs({pa: _pa_pos, pb: _pb0})),
        check_positive("D > 0 for 0 < q < 1, pa >= 0, pb > 0",
                       D.subs(unit).subs({pa: _pa0, pb: _pb_pos})),
        check_zero("beta * D = q ((1 - r) pa + r pb)", beta * D - q * ((1 - r) * pa + r * pb)),
        check_zero("(1 - beta) * D = (1 - q) pa + q (1 - r)(pb - pa)",
                   (1 - beta) * D - ((1 - q) * pa + q * (1 - r) * (pb - pa))),
        check_positive("beta > 0 for 0 < q, r < 1, 0 <= pa < pb", with_ordered_rates(beta)),
        check_positive("1 - beta > 0 for 0 < q, r < 1, 0 <= pa < pb",
                       with_ordered_rates(1 - beta)),
        check_zero("(1 - beta) a + beta b - a = beta (b - a)", level - a - beta * (b - a)),
        check_zero("b - ((1 - beta) a + beta b) = (1 - beta)(b - a)",
                   b - level - (1 - beta) * (b - a)),
        check_positive("(1 - beta) a + beta b > a for a < b (strict convex combination)",
                       with_ordered_rates((level - a).subs(levels))),
        check_positive("b > (1 - beta) a + beta b for a < b (strict convex combination)",
                       with_ordered_rates((b - level).subs(levels))),
        check_zero("r = q gives beta = q", beta.subs(r, q) - q),
    ]
    return ProofResult.from_checks("gamma_sign", _STATEMENT, checks)


if __name__ == "__main__":
    print(prove_gamma_sign().summary())
