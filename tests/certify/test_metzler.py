"""The shared Metzler test (certify.metzler): exact against float, and each hypothesis it needs."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

from assocrate.certify._rational import fraction_vector
from assocrate.certify._reduction import reduce_network
from assocrate.certify._rigorous import ball_lower, ball_upper
from assocrate.certify.basin import memory_center, residual_bound
from assocrate.certify.metzler import metzler_check, metzler_ratio


@pytest.fixture(scope="module")
def setting(equal_overlap_network):
    red = reduce_network(equal_overlap_network)
    center, _ = memory_center(equal_overlap_network, red, 0)
    exact = fraction_vector(center)
    return red, center, exact, residual_bound(red, exact, None)


@pytest.mark.parametrize("delta", [0.1, 0.3, 0.41, 0.42, 0.6])
def test_exact_check_agrees_with_the_float_ratio(setting, delta):
    red, center, exact, R = setting
    ratio, _ = metzler_ratio(red, "exact", center, delta, np.array([float(r) for r in R]), False)
    check = metzler_check(red, exact, [Fraction(1)] * red.n_classes, Fraction(delta), R)
    assert check.holds == (ratio < 1.0)
    assert check.ratio == pytest.approx(ratio, rel=1e-9)
    assert (check.residual.min_eigenvalue > 0) == check.holds


def test_each_hypothesis_is_needed(setting):
    red, _, exact, R = setting
    ones = [Fraction(1)] * red.n_classes
    assert metzler_check(red, exact, ones, Fraction(1, 5), R).holds
    assert not metzler_check(red, exact, ones, Fraction(0), R).holds  # delta > 0
    assert not metzler_check(red, exact, [Fraction(0)] + ones[1:], Fraction(1, 5), R).holds  # v > 0
    assert not metzler_check(red, exact, ones, Fraction(1, 5), [Fraction(1, 4)] * red.n_classes).holds  # residual


def test_ball_bounds_are_outward_dyadics():
    with flint.ctx.workprec(128):
        third = flint.arb(1) / 3
    low, high = ball_lower(third, 10), ball_upper(third, 10)
    assert low < Fraction(1, 3) < high and high - low == Fraction(1, 1024)
    assert low.denominator <= 1024 and high.denominator <= 1024


def test_irreducibility_on_classes_matches_the_unit_graph(setting, equal_overlap_network):
    from assocrate.certify.metzler import is_irreducible_on_classes
    from assocrate.graphs import is_irreducible

    red, _, exact, R = setting
    check = metzler_check(red, exact, [Fraction(1)] * red.n_classes, Fraction(1, 5), R)
    per_type = np.array([float(k) for k in check.K_plus])
    assert is_irreducible_on_classes(red, check.K_plus) is is_irreducible(equal_overlap_network, per_type) is True
    silent = [Fraction(0)] + list(check.K_plus[1:])  # a class with zero slope receives no edge: reducible
    assert is_irreducible_on_classes(red, silent) is is_irreducible(equal_overlap_network, np.r_[0.0, per_type[1:]])
    assert is_irreducible_on_classes(red, silent) is False


@pytest.mark.parametrize("method", ["metzler", "interval"])
def test_the_recorded_irreducibility_is_rechecked(equal_overlap_network, method):
    import assocrate as aa

    from .forgery import edited

    certificate = aa.certified_radius(equal_overlap_network, 0, method=method).certificate
    assert certificate.certified and certificate.parameters["irreducible"] is True
    assert aa.verify(certificate, equal_overlap_network).verified
    flipped = edited(certificate, parameters={"irreducible": False})
    result = aa.verify(flipped, equal_overlap_network)
    assert not result.verified and any("irreducibility" in problem for problem in result.problems)
