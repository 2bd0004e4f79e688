"""Certified retrieval radius, sector ellipsoid, absorbing box and input-driven retrieval."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from assocrate.certify._reduction import reduce_network
from assocrate.certify._rigorous import phi_bounds, slope_lower, slope_upper
from assocrate.certify.regional import (
    _abs_times,
    absorbing_box,
    certified_radius,
    certify_input_driven,
    class_equilibrium,
)
from assocrate.certify.verification import verify
from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns

from ..reference import REFERENCE_SIGMOID, design_quietly


def _euler_current(network, H, steps, s=0.5, u=0.0):
    """Explicit Euler on the current form, batched; returns the final states and max_t |h(t) - h(0)_ref|."""
    phi = network.activation.phi
    for _ in range(steps):
        H = H + s * (-H + network.weights_matvec(phi(H)) + u)
    return H


@pytest.fixture(scope="module")
def reference_radius(equal_overlap_network):
    return certified_radius(equal_overlap_network, 0)


def test_reference_radius(reference_radius, equal_overlap_network):
    result = reference_radius
    assert result.certified and result.norm == "box" and result.weights == "uniform"
    # DESIGN.md §5: 0.414, a third of b - a
    assert result.radius == pytest.approx(0.414, abs=1e-3)
    assert result.radius == pytest.approx((equal_overlap_network.b - equal_overlap_network.a) / 3, rel=0.01)
    assert result.min_half_width == result.radius
    cert = result.certificate
    assert cert.kind == "radius" and cert.parameters["radius"] == result.radius
    assert cert.residuals[0].min_eigenvalue > 0
    assert "certified retrieval radius" in result.summary()


def test_every_memory_has_the_same_radius(equal_overlap_network, reference_radius):
    for mu in range(1, equal_overlap_network.n_patterns):
        assert certified_radius(equal_overlap_network, mu).radius == pytest.approx(reference_radius.radius, rel=1e-9)


def test_500_starts_in_the_certified_box_converge(equal_overlap_network, reference_radius):
    net = equal_overlap_network
    delta = reference_radius.radius
    center = net.memory_currents()[:, 0]
    rng = np.random.default_rng(0)
    offsets = np.concatenate(
        [rng.uniform(-1, 1, (net.n_units, 250)), rng.choice([-1.0, 1.0], (net.n_units, 250))], axis=1
    )
    H = center[:, None] + delta * offsets
    phi = net.activation.phi
    farthest = 0.0
    for _ in range(80):  # Euler with s = 1/2 keeps the box invariant: a convex combination of h and W Phi(h)
        H = H + 0.5 * (-H + net.weights_matvec(phi(H)))
        farthest = max(farthest, float(np.max(np.abs(H - center[:, None]))))
    assert farthest <= delta  # forward invariance
    assert np.max(np.abs(H - center[:, None])) < 1e-8  # all 500 converge to the memory


def test_the_certificate_is_not_far_from_the_empirical_basin(equal_overlap_network, reference_radius):
    """Corner starts at twice the certified radius do not all converge (the basin is < 2x larger)."""
    net = equal_overlap_network
    center = net.memory_currents()[:, 0]
    H = center[:, None] + 2 * reference_radius.radius * np.random.default_rng(1).choice([-1.0, 1.0], (net.n_units, 100))
    H = _euler_current(net, H, 80)
    converged = np.max(np.abs(H - center[:, None]), axis=0) < 1e-6
    assert 0 < converged.mean() < 1


def test_type_reduction_is_exact_against_the_full_matrix(equal_overlap_network):
    net = equal_overlap_network
    red = reduce_network(net)
    rng = np.random.default_rng(2)
    w = [Fraction(int(x), 1024) for x in rng.integers(1, 1024, red.n_classes)]
    reduced = np.array([float(x) for x in _abs_times(red, w)])
    dense = np.abs(net.dense_weights()) @ red.part.expand(np.array([float(x) for x in w]))
    np.testing.assert_allclose(red.part.expand(reduced), dense, rtol=1e-13)


def test_full_reduction_gives_the_same_radius():
    net = design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    by_types = certified_radius(net, 0)
    by_units = certified_radius(net, 0, reduction="full")
    assert by_units.certified and by_units.certificate.parameters["n_classes"] == 100
    assert by_units.radius == pytest.approx(by_types.radius, rel=1e-8)


def test_same_radius_at_a_hundred_thousand_units(reference_radius):
    big = design(equal_overlap_patterns(100_000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    result = certified_radius(big, 0)
    assert result.certified and result.certificate.parameters["n_units"] == 100_000
    assert result.radius == pytest.approx(reference_radius.radius, rel=1e-6)


def test_perron_weights_certify_a_larger_but_thinner_box(equal_overlap_network, reference_radius):
    result = certified_radius(equal_overlap_network, 0, weights="perron")
    assert result.certified and result.weights == "perron"
    assert result.radius >= reference_radius.radius * (1 - 1e-9)
    assert result.min_half_width < result.radius
    assert max(result.certificate.data["v"]) == 1.0


def test_unstable_memory_gets_no_radius():
    net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(1.0, 0.2), -0.3, 0.95)
    result = certified_radius(net, 0)
    assert not result.certified and result.radius == 0.0
    assert result.certificate.claim.startswith("no certificate found")


def test_rectified_tanh_radius():
    net = design(equal_overlap_patterns(1000, 0.2), RectifiedTanh(4.8, 0.75), 0.5, 1.5)
    result = certified_radius(net, 0)
    assert result.certified and result.radius > 0
    assert verify(result.certificate, net).verified


def test_sector_lmi_is_an_l2_statement(equal_overlap_network, reference_radius):
    result = certified_radius(equal_overlap_network, 0, method="lmi")
    assert result.certified and result.norm == "l2" and result.certificate.kind == "sector"
    assert 0 < result.radius < reference_radius.radius
    assert result.min_half_width == pytest.approx(result.radius / np.sqrt(equal_overlap_network.n_units))
    assert "not the certified retrieval radius" in result.certificate.claim
    data = result.certificate.data
    # the ellipsoid's l2 ball lies in the box
    assert result.radius <= data["delta"]


def test_center_is_the_equilibrium(equal_overlap_network, random_network):
    for net in (equal_overlap_network, random_network):
        red = reduce_network(net)
        rows = net.patterns[red.part.representatives, 0]
        h = class_equilibrium(red, net.a + (net.b - net.a) * rows)
        x = net.activation.phi(red.part.expand(h))
        assert np.max(np.abs(net.weights_matvec(x) - red.part.expand(h))) < 1e-12


def test_random_patterns_radius(random_network):
    result = certified_radius(random_network, 0)
    assert result.certified and 0 < result.radius < 1.0


# ---------------------------------------------------------------------------------------------
# Rigorous bounds
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Absorbing box and input-driven retrieval
# ---------------------------------------------------------------------------------------------


def test_absorbing_box_contains_the_equilibria_and_attracts(equal_overlap_network):
    net = equal_overlap_network
    box = absorbing_box(net)
    currents = net.memory_currents()
    assert np.all(currents >= box.lower[:, None]) and np.all(currents <= box.upper[:, None])
    H = _euler_current(net, np.random.default_rng(3).normal(0, 3, (net.n_units, 20)), 60)
    assert np.all(H >= box.lower[:, None] - 1e-9) and np.all(H <= box.upper[:, None] + 1e-9)
    assert "absorbing box" in box.summary()


@pytest.mark.parametrize("method", ["metzler", "contraction"])
def test_a_strong_cue_makes_retrieval_global(equal_overlap_network, method):
    net = equal_overlap_network
    mu = 2
    u = 1.0 * (2.0 * net.patterns[:, mu] - 1.0)
    cert = certify_input_driven(net, u, memory=mu, method=method)
    assert cert.verified_exact and cert.kind == "input"
    assert cert.parameters["retrieved"] == mu
    assert verify(cert, net).verified
    # every start ends at one state, which retrieves memory mu
    H = _euler_current(net, np.random.default_rng(4).normal(0, 2, (net.n_units, 30)), 60, u=u[:, None])
    assert np.max(np.ptp(H, axis=1)) < 1e-8
    lower, upper = cert.data["lower"], cert.data["upper"]
    reduced_states = H[reduce_network(net).part.representatives]
    assert np.all(reduced_states >= lower[:, None] - 1e-9) and np.all(reduced_states <= upper[:, None] + 1e-9)
    rates = net.activation.phi(H[:, 0])
    overlaps = rates @ net.patterns / net.patterns.sum(axis=0)
    assert np.argmax(overlaps) == mu


def test_a_weak_cue_is_not_certified(equal_overlap_network):
    net = equal_overlap_network
    cert = certify_input_driven(net, 0.25 * (2.0 * net.patterns[:, 0] - 1.0), memory=0)
    assert not cert.verified_exact
    assert cert.claim.startswith("no certificate found")


def test_rejects_bad_arguments(equal_overlap_network):
    net = equal_overlap_network
    with pytest.raises(ValueError, match="`mu` must be in"):
        certified_radius(net, 6)
    with pytest.raises(ValueError, match="`method` must be one of"):
        certified_radius(net, 0, method="box")
    with pytest.raises(ValueError, match="`weights` must be one of"):
        certified_radius(net, 0, weights="heavy")
    with pytest.raises(ValueError, match="applies to method='metzler' only"):
        certified_radius(net, 0, method="lmi", weights="perron")
    with pytest.raises(ValueError, match="`u` must be a scalar or have shape"):
        certify_input_driven(net, np.zeros(3))
    with pytest.raises(ValueError, match="`max_iter` must be an integer"):
        absorbing_box(net, max_iter=0)


def test_exact_products_through_the_factors():
    net = design_quietly(random_patterns(30, 4, 0.3, seed=5), REFERENCE_SIGMOID, -0.3, 0.95)
    red = reduce_network(net)
    W = red.W_exact
    exact_sign = [[(W[s, t] > 0) - (W[s, t] < 0) for t in range(red.n_classes)] for s in range(red.n_classes)]
    sign = red.sign_exact
    assert [[int(sign[s, t]) for t in range(red.n_classes)] for s in range(red.n_classes)] == exact_sign
    # every entry undecided in floating point: the exact fallback gives the same signs
    blind = dataclasses.replace(red, W_hat=np.zeros_like(red.W_hat))
    assert blind.sign_exact == sign
    y = [Fraction(int(v), 7) for v in np.random.default_rng(6).integers(-9, 9, red.n_classes)]
    n = red.counts_exact
    plain = [sum(Fraction(int(W[s, t].p), int(W[s, t].q)) * n[t] * y[t] for t in range(len(n))) for s in range(len(n))]
    absolute = [sum(abs(Fraction(int(W[s, t].p), int(W[s, t].q))) * n[t] * y[t] for t in range(len(n))) for s in range(len(n))]
    assert red.times_exact(y) == plain
    assert red.abs_times_exact(y) == absolute


def test_rate_cues_in_the_certified_box_retrieve(equal_overlap_network, reference_radius):
    from assocrate.retrieval import cue_rates, delete_active

    net = equal_overlap_network
    cues = np.column_stack(
        [cue_rates(net, delete_active(net.patterns[:, 0], f, seed=s)) for f in (0.1, 0.3, 0.4, 0.6) for s in range(5)]
    )
    provable = reference_radius.retrieves(net, cues)
    assert provable[:5].all() and not provable[-5:].any()
    X = cues
    for _ in range(80):  # rate-form Euler
        X = X + 0.5 * (net.activation.phi(net.weights_matvec(X)) - X)
    memory = net.memory_rates()[:, 0]
    retrieved = np.max(np.abs(X - memory[:, None]), axis=0) < 1e-6
    assert np.all(retrieved[provable])
    with pytest.raises(ValueError, match="not the network this radius was certified for"):
        reference_radius.retrieves(design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95), cues[:100])


def test_claims_round_bounds_the_safe_way(equal_overlap_network):
    """Lower bounds are printed rounded down, upper bounds rounded up (never the nearest decimal)."""
    from assocrate.certify._rigorous import format_down, format_up
    from assocrate.certify.regional import input_claim, radius_claim, sector_claim

    assert (format_down(0.4140819211), format_up(0.4140811211)) == ("0.414081", "0.414082")
    assert (format_down(0.99999999999909, 4), format_up(1.0000000001, 4)) == ("0.9999", "1.001")
    assert format_down(0.5) == "0.5" and format_up(-0.4140819211) == "-0.414081"
    assert "delta = 0.414081," in radius_claim(0, 0.4140819211, 0.4140819211, False)
    assert "smallest half-width 0.414081)" in radius_claim(0, 0.4140819211, 0.4140819211, False)
    claim = input_claim(1, 1, 0.99999999999909, 0.20000000001)
    assert "at least 0.9999," in claim and "at most 0.2001)" in claim
    claim = sector_claim(0, 0.4140819211, 0.4140811211, 1)
    assert "radius 0.414081 " in claim and "half-width 0.414082 " in claim and "half-width 0.414)" in claim
    result = certified_radius(equal_overlap_network, 0)
    printed = result.certificate.claim.split("delta = ")[1].split(",")[0]
    assert float(printed) <= result.radius and printed in result.summary()
