"""Symbolic (sympy) re-derivations of the identities behind the assocrate design rule.

Each module proves one statement of theory.md §3 and returns a frozen
:class:`~proofs._result.ProofResult` whose ``holds`` is ``True`` only if every step was
verified by sympy (an exact simplification to zero, an exact polynomial identity, or a
positivity fact derived by sympy's assumption system) -- never by a numeric check.

Modules
-------
design_identity
    With equal activity ``q`` and equal pairwise overlap ``r``, the rule's ``beta`` cancels the
    cross-talk and ``W x̄^mu = h̄^mu`` exactly
    (:func:`~proofs.design_identity.prove_design_identity`).
balance_sign
    ``sign(gamma) = sign((1 - beta) a + beta b)`` with ``beta`` in (0, 1)
    (:func:`~proofs.balance_sign.prove_gamma_sign`).
eigenstructure
    The equal-overlap design has eigenvalues ``alpha`` (×P), ``gamma`` (×1) and 0 (×N-P-1)
    (:func:`~proofs.eigenstructure.prove_eigenstructure`).
projection_rule
    The projection rule ``W = H (X^T X)^{-1} X^T`` makes every rescaled memory an exact
    equilibrium for any independent patterns; a symmetric solution needs equal activities (or
    ``phi(a) b = phi(b) a``) and is then ``H (X^T H)^{-1} H^T``
    (:func:`~proofs.projection_rule.prove_projection_identity`,
    :func:`~proofs.projection_rule.prove_symmetry_criterion`).

Run any module as a script (``python -m proofs.design_identity``) to print its result.
"""

from proofs._result import Check, ProofResult

__all__ = ["Check", "ProofResult"]
