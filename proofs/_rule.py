"""The design rule of theory.md §3 as sympy expressions, shared by every proof.

``pa`` and ``pb`` stand for ``phi(a)`` and ``phi(b)``: free positive symbols, so the proofs hold
for every activation (nothing about ``phi`` beyond ``phi(b) != phi(a)`` is used).
"""

from __future__ import annotations

from typing import NamedTuple

import sympy

__all__ = ["SYMBOLS", "DesignParameters", "design_rule"]


class _Symbols(NamedTuple):
    a: sympy.Symbol
    b: sympy.Symbol
    pa: sympy.Symbol
    pb: sympy.Symbol
    q: sympy.Symbol
    r: sympy.Symbol
    N: sympy.Symbol


#: The free symbols of the design rule: levels ``a``, ``b`` (real), rates ``pa = phi(a)``,
#: ``pb = phi(b)``, activity ``q``, overlap fraction ``r`` and size ``N`` (positive).
SYMBOLS = _Symbols(
    a=sympy.Symbol("a", real=True),
    b=sympy.Symbol("b", real=True),
    pa=sympy.Symbol("pa", positive=True),
    pb=sympy.Symbol("pb", positive=True),
    q=sympy.Symbol("q", positive=True),
    r=sympy.Symbol("r", positive=True),
    N=sympy.Symbol("N", positive=True),
)


class DesignParameters(NamedTuple):
    """``alpha_prime``, ``beta``, ``gamma`` of the design rule, plus the mean rate ``D``."""

    alpha_prime: sympy.Expr
    beta: sympy.Expr
    gamma: sympy.Expr
    D: sympy.Expr


def design_rule(
    q: sympy.Expr = SYMBOLS.q,
    r: sympy.Expr = SYMBOLS.r,
    a: sympy.Expr = SYMBOLS.a,
    b: sympy.Expr = SYMBOLS.b,
    pa: sympy.Expr = SYMBOLS.pa,
    pb: sympy.Expr = SYMBOLS.pb,
    *,
    beta: sympy.Expr | None = None,
) -> DesignParameters:
    """The design rule of theory.md §3 for general overlap ``r``.

    Parameters
    ----------
    q, r, a, b, pa, pb : sympy.Expr, optional
        Activity, overlap fraction, levels and rates ``phi(a)``, ``phi(b)``; default the
        symbols of :data:`SYMBOLS`. Numbers may be passed to specialise.
    beta : sympy.Expr or None, optional
        Replace the rule's ``beta`` (``gamma`` is then computed from the replacement). Used to
        show that a wrong ``beta`` breaks the identity. Default ``None``: the rule's ``beta``.

    Returns
    -------
    DesignParameters
        ``alpha_prime = (b - a) / (q (1 - r) (pb - pa))``,
        ``beta = q ((1 - r) pa + r pb) / D``, ``gamma = ((1 - beta) a + beta b) / D``, with
        ``D = (1 - q) pa + q pb`` (the mean rate of a stored memory).
    """
    q, r, a, b, pa, pb = map(sympy.sympify, (q, r, a, b, pa, pb))
    D = (1 - q) * pa + q * pb
    alpha_prime = (b - a) / (q * (1 - r) * (pb - pa))
    if beta is None:
        beta = q * ((1 - r) * pa + r * pb) / D
    beta = sympy.sympify(beta)
    gamma = ((1 - beta) * a + beta * b) / D
    return DesignParameters(alpha_prime, beta, gamma, D)
