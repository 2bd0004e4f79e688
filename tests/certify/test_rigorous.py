"""Rigorous bounds of phi and phi' (ball arithmetic), directed rounding and printing."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from assocrate.certify._rigorous import (
    dyadic_down,
    dyadic_up,
    format_down,
    format_up,
    phi_bounds,
    slope_lower,
    slope_upper,
)
from assocrate.core.activations import RectifiedTanh, Sigmoid

from ..reference import REFERENCE_SIGMOID


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, RectifiedTanh(4.8, 0.75), Sigmoid(0.7, -0.2)])
def test_rigorous_bounds_enclose_high_precision_values(activation):
    mpmath.mp.dps = 50
    rho, threshold = mpmath.mpf(activation.rho), mpmath.mpf(activation.threshold)

    def phi(h):
        h = mpmath.mpf(h)
        if activation.name == "sigmoid":
            return 1 / (1 + mpmath.exp(-4 * rho * (h - threshold - 1 / (2 * rho))))
        return mpmath.tanh(rho * (h - threshold)) if h >= threshold else mpmath.mpf(0)

    for h in np.linspace(-1.5, 2.0, 37):
        lo, hi = phi_bounds(activation, h)
        value = phi(h)
        assert mpmath.mpf(lo.numerator) / lo.denominator <= value <= mpmath.mpf(hi.numerator) / hi.denominator
    grid = np.linspace(-1.0, 1.5, 2001)
    slopes = activation.dphi(grid)
    for lo, hi in [(-1.0, -0.2), (-0.2, 0.5), (0.3, 1.5), (0.76, 0.9), (0.9, 1.4)]:
        inside = (grid >= lo) & (grid <= hi)
        assert float(slope_upper(activation, lo, hi)) >= slopes[inside].max() * (1 - 1e-15)
        assert float(slope_lower(activation, lo, hi)) <= slopes[inside].min() * (1 + 1e-15)
        assert slope_upper(activation, lo, hi) <= Fraction(*float(activation.rho).as_integer_ratio())


def test_slope_bounds_at_the_peak_and_below_the_threshold():
    rho = Fraction(*float(REFERENCE_SIGMOID.rho).as_integer_ratio())
    peak = REFERENCE_SIGMOID.threshold + 1 / (2 * REFERENCE_SIGMOID.rho)
    assert slope_upper(REFERENCE_SIGMOID, peak - 0.1, peak + 0.1) == rho  # the maximum, exactly
    tanh = RectifiedTanh(4.8, 0.75)
    assert slope_upper(tanh, 0.0, 0.5) == 0 and slope_lower(tanh, 0.0, 1.0) == 0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: slope_upper(REFERENCE_SIGMOID, 1.0, 0.0), ValueError, r"`lo` must be <= `hi`"),
        (lambda: slope_lower(REFERENCE_SIGMOID, 1.0, 0.0), ValueError, r"`lo` must be <= `hi`"),
        (lambda: phi_bounds(np.tanh, 0.0), TypeError, r"`activation` must be a Sigmoid or RectifiedTanh"),
        (lambda: phi_bounds(Sigmoid(1.0, 0.0), float("nan")), ValueError, r"must be finite"),
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("value", [0.3, -0.3, 1 / 3, Fraction(-7, 3), 2.0, 0.0])
def test_dyadic_rounding_is_directed(value):
    down, up = dyadic_down(value, 10), dyadic_up(value, 10)
    assert down <= Fraction(value) <= up and up - down <= Fraction(1, 2**10)
    assert down.denominator <= 2**10 and up.denominator <= 2**10


def test_printing_rounds_the_safe_way():
    assert format_down(0.4140819211) == "0.414081" and format_up(0.4140811211) == "0.414082"
    assert format_down(float("inf")) == "inf"
