"""Exact rationals from the numbers the package meets: the one scalar conversion of every exact check.

Floats are read exactly (``float.as_integer_ratio``), never rounded; ints, Fractions, other
``numbers.Rational`` values (e.g. sympy's) and python-flint ``fmpz``/``fmpq`` keep their value.
Booleans, non-finite floats and anything else are refused with an error naming the argument.
Matrices go through :func:`assocrate.certify.exact.to_rational`, which uses this for its
object-array path.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import flint
import numpy as np

from ..errors import InvalidInput, InvalidType

__all__ = ["fraction_vector", "to_fmpq", "to_fraction"]

_ALLOWED = "real numbers (int, float, Fraction, fmpq)"


def to_fraction(value: object, name: str = "value", where: str = "") -> Fraction:
    """`value` as an exact :class:`fractions.Fraction`.

    Parameters
    ----------
    value : int, float, Fraction, numbers.Rational, flint.fmpz or flint.fmpq
    name : str
        The argument named in errors.
    where : str
        Appended to errors, e.g. ``" at index (0, 1)"``.

    Examples
    --------
    >>> to_fraction(0.1)
    Fraction(3602879701896397, 36028797018963968)
    >>> to_fraction(flint.fmpq(1, 3))
    Fraction(1, 3)
    """
    if type(value) is Fraction:  # the common case of the exact checks: immutable, kept as is
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InvalidType(f"`{name}` must hold {_ALLOWED}; got the bool {value!r}{where}")
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, (numbers.Integral, flint.fmpz)):
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidInput(f"`{name}` must be finite; got {float(value)!r}{where}")
        return Fraction(*value.as_integer_ratio())
    raise InvalidType(f"`{name}` must hold {_ALLOWED}; got {value!r} of type {type(value).__name__}{where}")


def to_fmpq(value: object, name: str = "value") -> flint.fmpq:
    """`value` as an exact ``flint.fmpq`` (see :func:`to_fraction`).

    >>> to_fmpq(0.5), to_fmpq(3)
    (1/2, 3)
    """
    if isinstance(value, flint.fmpq):
        return value
    if type(value) is Fraction:
        return flint.fmpq(value.numerator, value.denominator)
    fraction = to_fraction(value, name)
    return flint.fmpq(fraction.numerator, fraction.denominator)


def fraction_vector(values: object, name: str = "values") -> list[Fraction]:
    """The entries of `values` (any shape, read in C order) as exact Fractions.

    >>> fraction_vector([0.5, 1, flint.fmpq(2, 3)])
    [Fraction(1, 2), Fraction(1, 1), Fraction(2, 3)]
    """
    return [to_fraction(value, name) for value in np.asarray(values, dtype=object).ravel()]
