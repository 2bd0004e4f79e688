"""Activations: reference values (theory.md §2), derivatives, inverses, stability at large |h|."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assocrate.core.activations import RectifiedTanh, Sigmoid, activation_from_name

SIGMOID = Sigmoid(rho=4.8, threshold=0.2)
TANH = RectifiedTanh(rho=4.8, threshold=0.75)

gains = st.floats(0.2, 10.0)
thresholds = st.floats(-1.0, 1.0)
currents = st.floats(-3.0, 3.0)


@pytest.mark.parametrize(
    ("method", "h", "expected", "rtol"),
    [
        ("phi", -0.3, 9.16600e-06, 1e-5),
        ("phi", 0.1, 0.0194551, 1e-5),
        ("phi", 0.95, 0.99999588, 1e-8),
        ("dphi", -0.3, 1.760e-04, 1e-3),
        ("dphi", 0.95, 7.908e-05, 1e-3),
        ("dphi", 0.1, 0.3663, 1e-3),
    ],
)
def test_sigmoid_reference_values(method, h, expected, rtol):
    # Reference values are given to 4-6 significant digits in theory.md §2; rtol matches that.
    assert getattr(SIGMOID, method)(h) == pytest.approx(expected, rel=rtol)


def test_tanh_reference_value():
    assert TANH.phi(0.95) == pytest.approx(0.744277, rel=1e-6)
    assert TANH.phi(0.5) == 0.0
    assert TANH.dphi(0.75) == TANH.rho  # convention phi'(threshold) = rho


@pytest.mark.parametrize("activation", [SIGMOID, TANH])
def test_no_overflow_at_large_currents(activation):
    h = np.array([-1e4, -50.0, 50.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        values = [activation.phi(h), activation.dphi(h), activation.antiderivative(h)]
    assert all(np.all(np.isfinite(v)) for v in values)
    assert np.all((values[0] >= 0) & (values[0] <= 1))


@given(rho=gains, threshold=thresholds, h=currents)
def test_dphi_matches_central_difference(rho, threshold, h):
    for activation in (Sigmoid(rho, threshold), RectifiedTanh(rho, threshold)):
        step = 1e-6
        if isinstance(activation, RectifiedTanh) and abs(h - threshold) < 2 * step:
            continue  # the kink: phi' jumps from 0 to rho there
        numeric = (activation.phi(h + step) - activation.phi(h - step)) / (2 * step)
        # Central-difference error is O(step^2 * phi''') ~ rho^3 * 1e-12, plus rounding ~ 1e-16/step.
        assert activation.dphi(h) == pytest.approx(numeric, abs=1e-8 * (1 + rho**3))


@given(rho=gains, threshold=thresholds, h=currents)
def test_antiderivative_derivative_is_phi(rho, threshold, h):
    for activation in (Sigmoid(rho, threshold), RectifiedTanh(rho, threshold)):
        step = 1e-6
        numeric = (activation.antiderivative(h + step) - activation.antiderivative(h - step)) / (2 * step)
        # O(step^2) truncation plus, across the tanh kink, at most rho * step / 2.
        assert activation.phi(h) == pytest.approx(numeric, abs=1e-7 * (1 + rho**2) + rho * step)


@given(rho=gains, threshold=thresholds, rate=st.floats(1e-6, 1 - 1e-6))
def test_inverse_round_trip(rho, threshold, rate):
    for activation in (Sigmoid(rho, threshold), RectifiedTanh(rho, threshold)):
        assert activation.phi(activation.inverse(rate)) == pytest.approx(rate, rel=1e-9, abs=1e-12)


@given(rho=gains, threshold=thresholds, lo=currents, width=st.floats(0.0, 3.0))
@example(rho=5.0, threshold=0.0, lo=1e-9, width=1e-9)
def test_slope_bounds_enclose_sampled_slopes(rho, threshold, lo, width):
    """The bounds are dphi at the extreme points, in floating point like the samples: dphi is a few
    rounded operations (an exp, a sum, a square, a product, a quotient), within 6 eps of the slope
    scale rho, and not monotone in its last bits (a random run found RectifiedTanh(5, 0) on [1e-9,
    2e-9]: 5.0 at the end point, 2 ulp lower inside). So the comparison allows 8 eps rho."""
    hi = lo + width
    for activation in (Sigmoid(rho, threshold), RectifiedTanh(rho, threshold)):
        slope_min, slope_max = activation.slope_bounds(lo, hi)
        sampled = activation.dphi(np.linspace(lo, hi, 2001))
        rounding = 8 * np.finfo(float).eps * activation.max_slope
        assert slope_min <= sampled.min() + rounding
        assert slope_max >= sampled.max() - rounding
        assert slope_max <= activation.max_slope + 1e-12


def test_slope_bounds_are_vectorised():
    slope_min, slope_max = SIGMOID.slope_bounds(np.array([-1.0, 0.0]), np.array([0.0, 2.0]))
    assert slope_min.shape == slope_max.shape == (2,)
    assert slope_max[1] == pytest.approx(SIGMOID.rho)  # the peak at 0.3042 lies in [0, 2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rho": 0.0, "threshold": 0.2}, "`rho` must be > 0"),
        ({"rho": float("nan"), "threshold": 0.2}, "`rho` must be finite"),
        ({"rho": 1.0, "threshold": float("inf")}, "`threshold` must be finite"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Sigmoid(**kwargs)


def test_activation_from_name():
    assert activation_from_name("sigmoid", rho=1.0, threshold=0.0) == Sigmoid(1.0, 0.0)
    with pytest.raises(ValueError, match="`activation` must be one of"):
        activation_from_name("relu", rho=1.0, threshold=0.0)
    with pytest.raises(ValueError, match="`lo` must be <= `hi`"):
        SIGMOID.slope_bounds(1.0, 0.0)
