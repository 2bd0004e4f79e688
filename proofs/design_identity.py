"""The design identity ``W x̄^mu = h̄^mu`` (theory.md §3), proved symbolically.

Statement
---------
Let ``xi^1, …, xi^P ∈ {0,1}^N`` be patterns in which every pattern has ``qN`` ones and every pair
overlaps in ``rqN`` units. With the design rule

    alpha' = (b - a) / (q (1 - r) (pb - pa)),
    beta   = q ((1 - r) pa + r pb) / D,        D = (1 - q) pa + q pb,
    gamma  = ((1 - beta) a + beta b) / D,
    W      = (alpha'/N) (Xi - beta)(Xi - beta)^T + (gamma/N) 1 1^T,

where ``pa = phi(a)`` and ``pb = phi(b) != pa``, every memory ``x̄^mu = pa 1 + (pb - pa) xi^mu``
is mapped onto its current ``h̄^mu = a 1 + (b - a) xi^mu``: ``W x̄^mu = h̄^mu`` exactly, hence
``Phi(W x̄^mu) = x̄^mu`` and every memory is an equilibrium of ``x' = -x + Phi(W x)``.

Derivation
----------
Expand component ``i``::

    (W x̄^mu)_i = (alpha'/N) sum_nu (xi_i^nu - beta) s_nu + (gamma/N) S,
    s_nu = (xi^nu - beta 1) · x̄^mu,     S = 1 · x̄^mu.

Only counts enter the dot products: ``1·xi^mu = qN`` gives ``S = N D``; ``xi^mu·xi^mu = qN``
gives the self term ``s_mu = qN pb - beta N D``; ``xi^nu·xi^mu = rqN`` (nu != mu) gives the
cross-talk ``s_nu = qN ((1 - r) pa + r pb) - beta N D``. The rule's ``beta`` is exactly the value
that makes every cross-talk dot product vanish, so the sum over nu != mu is zero *whatever* the
number ``k_i`` of other patterns in which unit ``i`` is active -- the proof keeps ``k_i`` and
``P`` symbolic. What remains is ``alpha' (xi_i^mu - beta) q (1 - r)(pb - pa) + gamma D``: with
the rule's ``alpha'`` the first term is ``(b - a)(xi_i^mu - beta)`` and with the rule's
``gamma`` the second is ``(1 - beta) a + beta b``; their sum is ``a + (b - a) xi_i^mu`` for
``xi_i^mu`` in {0, 1} (indeed for every real ``xi_i^mu``, the residual being affine in it).

Every step is an exact sympy simplification to zero. :func:`verify_design_identity_instance`
checks the same identity a second way, on an explicit pattern matrix with an explicit dense ``W``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import sympy

from proofs._result import ProofResult, check_zero
from proofs._rule import SYMBOLS, design_rule

__all__ = [
    "crosstalk_residual",
    "prove_design_identity",
    "sunflower_patterns",
    "verify_design_identity_instance",
]

#: ``xi_i^mu``: whether unit i is active in the retrieved pattern mu (the proof keeps it free).
XI_I = sympy.Symbol("xi_i", real=True)
#: ``k_i``: number of patterns nu != mu in which unit i is active.
K_I = sympy.Symbol("k_i", nonnegative=True, integer=True)
#: ``P``: number of stored patterns.
P = sympy.Symbol("P", positive=True, integer=True)

_STATEMENT = (
    "If every pattern has qN ones and every pair overlaps in rqN units, then with "
    "alpha' = (b-a)/(q(1-r)(pb-pa)), beta = q((1-r)pa + r pb)/((1-q)pa + q pb), "
    "gamma = ((1-beta)a + beta b)/((1-q)pa + q pb) and "
    "W = (alpha'/N)(Xi - beta)(Xi - beta)^T + (gamma/N) 1 1^T: "
    "W xbar^mu = hbar^mu, i.e. W (pa 1 + (pb-pa) xi^mu) = a 1 + (b-a) xi^mu."
)


def _dot_products(beta: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    """``(S, s_self, s_cross)``: the dot products with ``x̄^mu``, from the counts alone."""
    s = SYMBOLS
    size, overlap = s.q * s.N, s.r * s.q * s.N  # |xi^nu| and |xi^nu ∧ xi^mu| (nu != mu)
    S = s.pa * s.N + (s.pb - s.pa) * size  # 1 · x̄^mu
    s_self = s.pa * size + (s.pb - s.pa) * size - beta * S  # (xi^mu - beta 1) · x̄^mu
    s_cross = s.pa * size + (s.pb - s.pa) * overlap - beta * S  # (xi^nu - beta 1) · x̄^mu
    return S, s_self, s_cross


def crosstalk_residual(beta: sympy.Expr | None = None) -> sympy.Expr:
    """The cross-talk dot product ``(xi^nu - beta 1)·x̄^mu / N`` for ``nu != mu``, simplified.

    Parameters
    ----------
    beta : sympy.Expr or None, optional
        The value of ``beta`` to test; default ``None`` uses the design rule's ``beta``.

    Returns
    -------
    sympy.Expr
        ``q ((1 - r) pa + r pb) - beta ((1 - q) pa + q pb)``, factored: exactly 0 for the
        rule's ``beta``, and ``q (pa - pb)(q - r)`` for ``beta = q``.

    Examples
    --------
    >>> from proofs.design_identity import crosstalk_residual
    >>> crosstalk_residual()
    0
    >>> from proofs._rule import SYMBOLS
    >>> crosstalk_residual(SYMBOLS.q)
    q*(pa - pb)*(q - r)
    """
    params = design_rule(beta=beta)
    _, _, s_cross = _dot_products(params.beta)
    return sympy.factor(sympy.cancel(sympy.together(sympy.expand(s_cross / SYMBOLS.N))))


def prove_design_identity(*, beta: sympy.Expr | None = None) -> ProofResult:
    """Prove ``W x̄^mu = h̄^mu`` for equal-size, equal-overlap patterns (theory.md §3).

    Parameters
    ----------
    beta : sympy.Expr or None, optional
        Override the rule's ``beta`` (``gamma`` follows the override) to watch the proof fail;
        default ``None``: the design rule as written.

    Returns
    -------
    ProofResult
        ``name="design_identity"``; checks, in order: the cross-talk dot product vanishes; the
        whole cross-talk sum vanishes for any ``k_i`` and ``P``; the residual at an active
        unit (``xi_i = 1``) and at an inactive unit (``xi_i = 0``) are 0; the full residual with
        ``xi_i``, ``k_i``, ``P`` symbolic is 0.

    Notes
    -----
    With ``S = N D``, ``s_mu = qN pb - beta N D``, ``s_nu = qN((1-r)pa + r pb) - beta N D``::

        (W x̄^mu)_i = (alpha'/N) [(xi_i - beta) s_mu + (k_i - (P - 1) beta) s_nu] + gamma D

    See the module docstring for the derivation in words.

    Examples
    --------
    >>> from proofs.design_identity import prove_design_identity
    >>> prove_design_identity().holds
    True
    >>> from proofs._rule import SYMBOLS
    >>> prove_design_identity(beta=SYMBOLS.q).holds
    False
    """
    s = SYMBOLS
    params = design_rule(beta=beta)
    S, s_self, s_cross = _dot_products(params.beta)

    # sum over nu != mu of (xi_i^nu - beta): k_i ones among the P - 1 other patterns.
    crosstalk = (params.alpha_prime / s.N) * (K_I - (P - 1) * params.beta) * s_cross
    self_term = (params.alpha_prime / s.N) * (XI_I - params.beta) * s_self
    mean_term = (params.gamma / s.N) * S
    component = self_term + crosstalk + mean_term  # (W x̄^mu)_i
    target = s.a + (s.b - s.a) * XI_I  # h̄^mu_i

    checks = [
        check_zero("cross-talk dot product (xi^nu - beta 1)·x̄^mu / N vanishes (nu != mu)",
                   s_cross / s.N),
        check_zero("cross-talk sum over nu != mu vanishes for every k_i and P", crosstalk),
        check_zero("active unit (xi_i^mu = 1): (W x̄^mu)_i - b = 0",
                   (component - target).subs(XI_I, 1)),
        check_zero("inactive unit (xi_i^mu = 0): (W x̄^mu)_i - a = 0",
                   (component - target).subs(XI_I, 0)),
        check_zero("full residual (W x̄^mu)_i - h̄^mu_i = 0 with xi_i, k_i, P symbolic",
                   component - target),
    ]
    name = "design_identity" if beta is None else f"design_identity[beta={beta}]"
    return ProofResult.from_checks(name, _STATEMENT, checks)


def sunflower_patterns(n_active: int, n_shared: int, n_patterns: int) -> sympy.Matrix:
    """An explicit equal-size, equal-overlap pattern set (a "sunflower").

    Pattern 1 is the first ``n_active`` units; every later pattern is the first ``n_shared``
    units (active in all patterns) plus ``n_active - n_shared`` fresh units. This is the
    construction of ``correlated_patterns`` (theory.md §3) with no spare units.

    Parameters
    ----------
    n_active : int
        Ones per pattern (``qN``), ``>= 1``.
    n_shared : int
        Pairwise overlap (``rqN``), ``0 <= n_shared < n_active``.
    n_patterns : int
        Number of patterns ``P``, ``>= 2``.

    Returns
    -------
    sympy.Matrix
        ``Xi`` of shape ``(N, P)`` with ``N = n_active + (P - 1)(n_active - n_shared)``.

    Raises
    ------
    ValueError
        If a count is outside its allowed range.
    """
    if n_active < 1:
        raise ValueError(f"`n_active` must be >= 1; got n_active={n_active}")
    if not 0 <= n_shared < n_active:
        raise ValueError(
            f"`n_shared` must satisfy 0 <= n_shared < n_active; got n_shared={n_shared}, "
            f"n_active={n_active}"
        )
    if n_patterns < 2:
        raise ValueError(f"`n_patterns` must be >= 2; got n_patterns={n_patterns}")
    fresh = n_active - n_shared
    n_units = n_active + (n_patterns - 1) * fresh
    Xi = sympy.zeros(n_units, n_patterns)
    for i in range(n_active):
        Xi[i, 0] = 1
    for mu in range(1, n_patterns):
        for i in range(n_shared):
            Xi[i, mu] = 1
        start = n_active + (mu - 1) * fresh
        for i in range(start, start + fresh):
            Xi[i, mu] = 1
    return Xi


def verify_design_identity_instance(
    Xi: sympy.Matrix | Sequence[Sequence[int]] | None = None,
) -> ProofResult:
    """Check ``W x̄^mu = h̄^mu`` on an explicit pattern set with an explicit dense ``W``.

    The levels and rates stay symbolic (``a``, ``b``, ``pa``, ``pb``); ``q`` and ``r`` are the
    exact rationals read off ``Xi``. This is a second route to :func:`prove_design_identity`:
    no counting argument, just ``W`` built entry by entry and multiplied out.

    Parameters
    ----------
    Xi : sympy.Matrix or sequence of sequences of int, optional
        Binary patterns, shape ``(N, P)``, equal column sums and equal pairwise overlaps.
        Default: ``sunflower_patterns(4, 2, 4)`` (N = 10, P = 4, q = 2/5, r = 1/2).

    Returns
    -------
    ProofResult
        One ``"zero"`` check per pattern: the residual vector ``W x̄^mu - h̄^mu``.

    Raises
    ------
    ValueError
        If ``Xi`` is not binary, has fewer than 2 patterns, or its patterns differ in size or
        pairwise overlap.
    """
    Xi = sunflower_patterns(4, 2, 4) if Xi is None else sympy.Matrix(Xi)
    n_units, n_patterns = Xi.shape
    if any(v not in (0, 1) for v in Xi):
        raise ValueError("`Xi` must be binary (entries 0 or 1)")
    if n_patterns < 2:
        raise ValueError(f"`Xi` must hold >= 2 patterns (columns); got shape {Xi.shape}")
    G = Xi.T * Xi
    sizes = {G[m, m] for m in range(n_patterns)}
    overlaps = {G[m, n] for m in range(n_patterns) for n in range(n_patterns) if m != n}
    if len(sizes) != 1 or len(overlaps) != 1:
        raise ValueError(
            f"`Xi` must have equal pattern sizes and equal pairwise overlaps; got sizes "
            f"{sorted(sizes)}, overlaps {sorted(overlaps)}"
        )
    size, overlap = int(sizes.pop()), int(overlaps.pop())
    if not 0 < size < n_units:
        raise ValueError(f"`Xi` patterns must have between 1 and N-1 ones; got {size}")
    q = sympy.Rational(Fraction(size, n_units))
    r = sympy.Rational(Fraction(overlap, size))

    s = SYMBOLS
    params = design_rule(q, r)
    one = sympy.ones(n_units, 1)
    U = Xi - params.beta * sympy.ones(n_units, n_patterns)
    W = (params.alpha_prime / n_units) * U * U.T + (params.gamma / n_units) * one * one.T
    checks = []
    for mu in range(n_patterns):
        xi = Xi[:, mu]
        x_bar = s.pa * one + (s.pb - s.pa) * xi
        h_bar = s.a * one + (s.b - s.a) * xi
        checks.append(check_zero(f"W x̄^{mu + 1} - h̄^{mu + 1} = 0 (all {n_units} entries)",
                                 W * x_bar - h_bar))
    statement = (
        f"Explicit instance: N={n_units}, P={n_patterns}, q={q}, r={r}; "
        "W xbar^mu = hbar^mu for every mu, with a, b, pa, pb symbolic."
    )
    return ProofResult.from_checks("design_identity_instance", statement, checks)


if __name__ == "__main__":
    print(prove_design_identity().summary())
    print()
    print(verify_design_identity_instance().summary())
    print()
    print("With beta = q (wrong unless r = q), the cross-talk is",
          crosstalk_residual(SYMBOLS.q))
