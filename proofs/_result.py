"""The frozen record every proof returns: named checks, each verified by sympy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sympy

__all__ = ["Check", "ProofResult", "check_zero", "check_positive", "check_nonnegative"]

CheckKind = Literal["zero", "positive", "nonnegative"]


@dataclass(frozen=True)
class Check:
    """One verified step of a proof.

    Attributes
    ----------
    description : str
        What the step claims, in words.
    kind : {"zero", "positive", "nonnegative"}
        ``"zero"``: ``expression`` simplifies to exactly 0. ``"positive"`` /
        ``"nonnegative"``: sympy's assumption system derives the sign of ``expression`` from
        the assumptions declared on its symbols.
    expression : sympy.Expr or sympy.ImmutableMatrix
        The simplified residual (``"zero"``; a matrix for a vector identity) or the
        expression whose sign is claimed.
    passed : bool
        Whether sympy verified the claim.
    """

    description: str
    kind: CheckKind
    expression: sympy.Basic
    passed: bool

    def __repr__(self) -> str:
        mark = "ok" if self.passed else "FAILED"
        return f"Check({mark}: {self.description} [{self.kind}: {self.expression}])"


@dataclass(frozen=True)
class ProofResult:
    """Outcome of one symbolic proof.

    Attributes
    ----------
    name : str
        Short identifier of the statement (e.g. ``"design_identity"``).
    statement : str
        The statement proved, in words and formulas.
    holds : bool
        ``True`` iff every check passed.
    checks : tuple of Check
        The verified steps, in the order of the derivation.
    """

    name: str
    statement: str
    holds: bool
    checks: tuple[Check, ...]

    @property
    def residuals(self) -> tuple[sympy.Basic, ...]:
        """The simplified residual of every ``"zero"`` check (all 0 when the proof holds)."""
        return tuple(c.expression for c in self.checks if c.kind == "zero")

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks sympy could not verify."""
        return tuple(c for c in self.checks if not c.passed)

    def summary(self) -> str:
        """Multi-line human-readable report: statement, verdict, one line per check."""
        verdict = "HOLDS" if self.holds else "DOES NOT HOLD"
        lines = [f"{self.name}: {verdict}", f"  statement: {self.statement}"]
        for c in self.checks:
            mark = "ok    " if c.passed else "FAILED"
            expr = c.expression
            if isinstance(expr, sympy.MatrixBase) and expr.is_zero_matrix:
                shown = f"0 (every entry of a {expr.rows}x{expr.cols} matrix)"
            else:
                shown = str(expr)
            lines.append(f"  [{mark}] {c.description}")
            lines.append(f"           {c.kind}: {shown}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"ProofResult(name={self.name!r}, holds={self.holds}, "
            f"checks={len(self.checks)}, failed={len(self.failed)})"
        )

    @classmethod
    def from_checks(cls, name: str, statement: str, checks: list[Check]) -> ProofResult:
        """Build a result whose ``holds`` is the conjunction of ``checks`` (False if empty)."""
        return cls(name, statement, bool(checks) and all(c.passed for c in checks), tuple(checks))


def _simplify(expr: sympy.Expr) -> sympy.Expr:
    """Exact normal form of a rational function: ``factor`` over a common denominator.

    Every expression in these proofs is a rational function of its symbols, for which this is a
    decision procedure: the result is 0 iff the reduced numerator is the zero polynomial.
    Expressions that are not rational functions fall back to ``sympy.simplify``.
    """
    expr = sympy.sympify(expr)
    if expr.is_rational_function():
        return sympy.factor(expr)
    return sympy.simplify(expr)


def check_zero(description: str, expr: sympy.Expr | sympy.MatrixBase) -> Check:
    """Check that ``expr`` (or every entry of a matrix) simplifies to exactly zero.

    The simplified residual is recorded (an immutable matrix for matrix input).
    """
    if isinstance(expr, sympy.MatrixBase):
        residual = sympy.ImmutableMatrix(expr.applyfunc(lambda e: _simplify(sympy.sympify(e))))
        return Check(description, "zero", residual, residual.is_zero_matrix is True)
    residual = _simplify(sympy.sympify(expr))
    return Check(description, "zero", residual, residual == 0)


def _sign_form(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``(numerator, denominator)`` over a common denominator, each expanded."""
    num, den = sympy.fraction(sympy.together(sympy.sympify(expr)))
    return sympy.expand(num), sympy.expand(den)


def _as_fraction(num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
    return num if den == 1 else sympy.Mul(num, sympy.Pow(den, -1), evaluate=False)


def check_positive(description: str, expr: sympy.Expr) -> Check:
    """Check that sympy's assumptions prove ``expr > 0``.

    ``expr`` is brought over a common denominator; numerator and denominator are expanded and
    their signs derived by sympy's assumption system from the assumptions on the symbols (a sum
    of positive and non-negative terms with at least one positive is positive). Reparametrise
    bounded parameters first (e.g. ``q = u/(1 + u)`` with ``u > 0`` for ``0 < q < 1``).
    """
    num, den = _sign_form(expr)
    passed = (num.is_positive is True and den.is_positive is True) or (
        num.is_negative is True and den.is_negative is True
    )
    return Check(description, "positive", _as_fraction(num, den), passed)


def check_nonnegative(description: str, expr: sympy.Expr) -> Check:
    """Check that sympy's assumptions prove ``expr >= 0`` (see :func:`check_positive`)."""
    num, den = _sign_form(expr)
    passed = (num.is_nonnegative is True and den.is_positive is True) or (
        num.is_nonpositive is True and den.is_negative is True
    )
    return Check(description, "nonnegative", _as_fraction(num, den), passed)
