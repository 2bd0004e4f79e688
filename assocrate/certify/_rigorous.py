"""Rigorous bounds on phi and phi' by ball arithmetic (python-flint ``arb``), as exact rationals.

A float evaluation of phi' can be off by a few ulps in either direction, so it cannot serve as a
bound in a proof. Here every argument is an exact rational (a float read exactly, or a dyadic),
the transcendental functions are evaluated by ``arb`` at 128 bits, which returns a ball that
provably contains the true value, and the ball's upper (lower) end is then rounded *up* (*down*) to
a dyadic rational on a grid of ``2**-GRID_BITS``. The location of the maximum and minimum of phi'
on an interval is decided exactly (phi' of the sigmoid is unimodal with its peak at
``c = threshold + 1/(2 rho)``; phi' of the rectified tanh is 0 below the threshold, ``rho`` at it
and decreasing above it), so the results are true bounds for the activation with exactly the
float parameters ``rho`` and ``threshold`` the network stores.
"""

from __future__ import annotations

import decimal
import functools
import math
from fractions import Fraction

import flint

from ..certify._rational import to_fraction
from ..errors import InvalidInput, InvalidType

__all__ = [
    "BOX_BITS",
    "GRID_BITS",
    "PRECISION",
    "ball_lower",
    "ball_upper",
    "dyadic_down",
    "dyadic_up",
    "format_down",
    "format_up",
    "phi_bounds",
    "slope_lower",
    "slope_upper",
]

#: Working precision of the ball arithmetic (bits).
PRECISION = 128
#: Bounds are rounded outward to multiples of ``2**-GRID_BITS``.
GRID_BITS = 48
#: Bounds computed from sums of those (residual bounds, interval-iteration boxes, overlaps) are
#: rounded outward to multiples of ``2**-BOX_BITS``.
BOX_BITS = 40


def _ball(value: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(value.numerator, value.denominator))


def _exact(point: flint.arb) -> Fraction:
    mantissa, exponent = point.mid().man_exp()
    mantissa, exponent = int(mantissa), int(exponent)
    return Fraction(mantissa * 2**exponent) if exponent >= 0 else Fraction(mantissa, 2**-exponent)


def _floor_on_grid(point: flint.arb) -> int:
    """``floor(point * 2**GRID_BITS)`` for an exact arb point ``m 2**e``, in integer arithmetic."""
    mantissa, exponent = point.mid().man_exp()
    mantissa, shift = int(mantissa), int(exponent) + GRID_BITS
    return mantissa << shift if shift >= 0 else mantissa >> -shift  # >> floors, also for negatives


def _up(ball: flint.arb) -> Fraction:
    """A dyadic rational >= every point of `ball` (on the grid of ``2**-GRID_BITS``)."""
    return Fraction(-_floor_on_grid(-ball.upper()), 2**GRID_BITS)


def _down(ball: flint.arb) -> Fraction:
    """A dyadic rational <= every point of `ball` (on the grid of ``2**-GRID_BITS``)."""
    return Fraction(_floor_on_grid(ball.lower()), 2**GRID_BITS)


def ball_upper(ball: flint.arb, bits: int) -> Fraction:
    """The smallest multiple of ``2**-bits`` that is ``>=`` every point of the arb `ball`."""
    return dyadic_up(_exact(ball.upper()), bits)


def ball_lower(ball: flint.arb, bits: int) -> Fraction:
    """The largest multiple of ``2**-bits`` that is ``<=`` every point of the arb `ball`."""
    return dyadic_down(_exact(ball.lower()), bits)


def dyadic_down(value, bits: int) -> Fraction:
    """The largest multiple of ``2**-bits`` that is ``<= value`` (a float or an exact rational).

    >>> dyadic_down(0.3, 4), dyadic_down(Fraction(-1, 3), 2)
    (Fraction(1, 4), Fraction(-1, 2))
    """
    return Fraction(math.floor(value * 2**bits), 2**bits)


def dyadic_up(value, bits: int) -> Fraction:
    """The smallest multiple of ``2**-bits`` that is ``>= value`` (a float or an exact rational).

    >>> dyadic_up(0.3, 4)
    Fraction(5, 16)
    """
    return Fraction(math.ceil(value * 2**bits), 2**bits)


def _sigmoid_constants(activation) -> tuple[Fraction, Fraction]:
    return _sigmoid_constants_of(float(activation.rho), float(activation.threshold))


@functools.lru_cache(maxsize=64)
def _sigmoid_constants_of(rho: float, threshold: float) -> tuple[Fraction, Fraction]:
    """``k = 4 rho`` and the peak ``c = threshold + 1/(2 rho)`` exactly (cached: called per class)."""
    rho = to_fraction(rho)
    return 4 * rho, to_fraction(threshold) + 1 / (2 * rho)


def _phi_ball(activation, h: Fraction) -> flint.arb:
    if activation.name == "sigmoid":
        k, c = _sigmoid_constants(activation)
        return 1 / (1 + (-(_ball(k) * (_ball(h) - _ball(c)))).exp())  # arb encloses k (h - c)
    threshold = to_fraction(activation.threshold)
    if h <= threshold:
        return flint.arb(0)
    return _ball(to_fraction(activation.rho) * (h - threshold)).tanh()


def _slope_ball(activation, h: Fraction) -> flint.arb:
    """phi'(h); for the rectified tanh at or above the threshold (the right derivative at it)."""
    if activation.name == "sigmoid":
        k, c = _sigmoid_constants(activation)
        decay = (-abs(_ball(k) * (_ball(h) - _ball(c)))).exp()
        return _ball(k) * decay / (1 + decay) ** 2
    rho = to_fraction(activation.rho)
    return _ball(rho) / _ball(rho * (h - to_fraction(activation.threshold))).cosh() ** 2


def _check_activation(activation) -> None:
    if getattr(activation, "name", None) not in ("sigmoid", "tanh"):
        raise InvalidType(f"`activation` must be a Sigmoid or RectifiedTanh; got {activation!r}")


def phi_bounds(activation, h) -> tuple[Fraction, Fraction]:
    """Dyadic rationals ``lo <= phi(h) <= hi`` for an exact rational (or float) `h`."""
    _check_activation(activation)
    with flint.ctx.workprec(PRECISION):
        ball = _phi_ball(activation, to_fraction(h))
        return _down(ball), _up(ball)


def slope_upper(activation, lo, hi) -> Fraction:
    """A dyadic rational ``>= max phi'`` on ``[lo, hi]`` (hence a Lipschitz bound of phi there)."""
    _check_activation(activation)
    lo, hi = to_fraction(lo), to_fraction(hi)
    if lo > hi:
        raise InvalidInput(f"`lo` must be <= `hi`; got lo={float(lo)!r}, hi={float(hi)!r}")
    rho = to_fraction(activation.rho)
    if activation.name == "sigmoid":
        _, peak = _sigmoid_constants(activation)
        if lo <= peak <= hi:
            return rho  # the global maximum k/4 = rho, exactly
        point = hi if hi < peak else lo
    else:
        threshold = to_fraction(activation.threshold)
        if hi < threshold:
            return Fraction(0)
        if lo <= threshold:
            return rho
        point = lo
    with flint.ctx.workprec(PRECISION):
        return min(_up(_slope_ball(activation, point)), rho)


def slope_lower(activation, lo, hi) -> Fraction:
    """A dyadic rational ``<= min phi'`` on ``[lo, hi]``, and ``>= 0``."""
    _check_activation(activation)
    lo, hi = to_fraction(lo), to_fraction(hi)
    if lo > hi:
        raise InvalidInput(f"`lo` must be <= `hi`; got lo={float(lo)!r}, hi={float(hi)!r}")
    if activation.name == "tanh":
        if lo < to_fraction(activation.threshold):
            return Fraction(0)
        points = (hi,)
    else:
        points = (lo, hi)
    with flint.ctx.workprec(PRECISION):
        return max(min(_down(_slope_ball(activation, p)) for p in points), Fraction(0))


def _format_directed(x: float, digits: int, rounding: str) -> str:
    if not math.isfinite(x):
        return f"{x:.{digits}g}"
    rounded = decimal.Context(prec=digits, rounding=rounding).plus(decimal.Decimal(x))
    # `rounded` has at most `digits` significant digits, so the float nearest to it prints as it.
    return f"{float(rounded):.{digits}g}"


def format_down(x: float, digits: int = 6) -> str:
    """`x` to `digits` significant digits, rounded towards -inf: the way to print a lower bound.

    >>> format_down(0.99999999999909, 4), format_down(0.4140819211)
    ('0.9999', '0.414081')
    """
    return _format_directed(float(x), digits, decimal.ROUND_FLOOR)


def format_up(x: float, digits: int = 6) -> str:
    """`x` to `digits` significant digits, rounded towards +inf: the way to print an upper bound.

    >>> format_up(0.4140811, 4), format_up(-0.4140819211)
    ('0.4141', '-0.414081')
    """
    return _format_directed(float(x), digits, decimal.ROUND_CEILING)
