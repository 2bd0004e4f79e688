"""The one scalar conversion to exact rationals behind every exact check."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from assocrate.certify._rational import fraction_vector, to_fmpq, to_fraction


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_read_exactly(x):
    fraction = to_fraction(x)
    assert float(fraction) == x and fraction == Fraction(x)
    assert to_fmpq(x) == flint.fmpq(fraction.numerator, fraction.denominator)


def test_float32_is_read_exactly():
    assert to_fraction(np.float32(0.1)) == Fraction(13421773, 134217728)  # float32(0.1), not 1/10


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, Fraction(3)),
        (np.int64(-2), Fraction(-2)),
        (flint.fmpz(7), Fraction(7)),
        (flint.fmpq(-1, 3), Fraction(-1, 3)),
        (Fraction(5, 7), Fraction(5, 7)),
        (sympy.Rational(2, 9), Fraction(2, 9)),
    ],
)
def test_exact_values_keep_their_value(value, expected):
    assert to_fraction(value) == expected
    assert to_fmpq(value) == flint.fmpq(expected.numerator, expected.denominator)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, r"`delta` must hold real numbers .*got the bool True at index 3"),
        (np.bool_(False), TypeError, r"got the bool (np\.)?False"),
        (float("nan"), ValueError, r"`delta` must be finite; got nan at index 3"),
        (float("-inf"), ValueError, r"must be finite; got -inf"),
        ("0.5", TypeError, r"got '0.5' of type str at index 3"),
        (1 + 2j, TypeError, r"of type complex"),
    ],
)
def test_non_numbers_are_refused_naming_the_argument(value, error, message):
    with pytest.raises(error, match=message):
        to_fraction(value, "delta", " at index 3")


def test_fraction_vector_reads_any_shape_in_c_order():
    assert fraction_vector(np.array([[0.5, 1.0], [0.25, 2.0]])) == [Fraction(1, 2), 1, Fraction(1, 4), 2]
    assert fraction_vector([flint.fmpq(1, 3), Fraction(2, 3), 1]) == [Fraction(1, 3), Fraction(2, 3), 1]
    with pytest.raises(ValueError, match="`values` must be finite"):
        fraction_vector([0.0, np.inf])
