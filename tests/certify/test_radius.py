"""The certified retrieval radius (Metzler box): the reference value, invariance, reductions, the check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify._rigorous import format_down, format_up
from assocrate.certify.input_driven import input_claim
from assocrate.certify.radius import certified_radius, radius_claim, verify_radius
from assocrate.certify.sector import sector_claim
from assocrate.certify.verification import verify
from assocrate.certify.witness import CheckFailed
from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns

from ..reference import REFERENCE_SIGMOID
from .helpers import euler_current


def test_reference_radius(reference_radius, equal_overlap_network):
    result = reference_radius
    assert result.certified and result.norm == "box" and result.weights == "uniform"
    # theory.md §5: 0.414, a third of b - a
    assert result.radius == pytest.approx(0.414, abs=1e-3)
    assert result.radius == pytest.approx((equal_overlap_network.b - equal_overlap_network.a) / 3, rel=0.01)
    assert result.min_half_width == result.radius
    cert = result.certificate
    assert cert.kind == "radius" and cert.parameters["radius"] == result.radius
    assert cert.residuals[0].min_eigenvalue > 0
    assert "certified retrieval radius" in result.summary()


def test_every_memory_has_the_same_radius(equal_overlap_network, reference_radius):
    for mu in range(1, equal_overlap_network.n_patterns):
        assert certified_radius(equal_overlap_network, mu, method="metzler").radius == pytest.approx(reference_radius.radius, rel=1e-9)


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
    H = euler_current(net, H, 80)
    converged = np.max(np.abs(H - center[:, None]), axis=0) < 1e-6
    assert 0 < converged.mean() < 1


def test_full_reduction_gives_the_same_radius():
    net = design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    by_types = certified_radius(net, 0, method="metzler")
    by_units = certified_radius(net, 0, reduction="full", method="metzler")
    assert by_units.certified and by_units.certificate.parameters["n_classes"] == 100
    assert by_units.radius == pytest.approx(by_types.radius, rel=1e-8)


def test_same_radius_at_a_hundred_thousand_units(reference_radius):
    big = design(equal_overlap_patterns(100_000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    result = certified_radius(big, 0, method="metzler")
    assert result.certified and result.certificate.parameters["n_units"] == 100_000
    assert result.radius == pytest.approx(reference_radius.radius, rel=1e-6)


def test_perron_weights_certify_a_larger_but_thinner_box(equal_overlap_network, reference_radius):
    result = certified_radius(equal_overlap_network, 0, weights="perron", method="metzler")
    assert result.certified and result.weights == "perron"
    assert result.radius >= reference_radius.radius * (1 - 1e-9)
    assert result.min_half_width < result.radius
    assert max(result.certificate.data["v"]) == 1.0


def test_unstable_memory_gets_no_radius():
    net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(1.0, 0.2), -0.3, 0.95)
    result = certified_radius(net, 0, method="metzler")
    assert not result.certified and result.radius == 0.0
    assert result.certificate.claim.startswith("no certificate found")


def test_rectified_tanh_radius():
    net = design(equal_overlap_patterns(1000, 0.2), RectifiedTanh(4.8, 0.75), 0.5, 1.5)
    result = certified_radius(net, 0, method="metzler")
    assert result.certified and result.radius > 0
    assert verify(result.certificate, net).verified


def test_random_patterns_radius(random_network):
    result = certified_radius(random_network, 0, method="metzler")
    assert result.certified and 0 < result.radius < 1.0


def test_rejects_bad_arguments(equal_overlap_network):
    net = equal_overlap_network
    with pytest.raises(ValueError, match="`mu` must be in"):
        certified_radius(net, 6, method="metzler")
    with pytest.raises(ValueError, match="`method` must be one of"):
        certified_radius(net, 0, method="box")
    with pytest.raises(ValueError, match="`weights` must be one of"):
        certified_radius(net, 0, weights="heavy", method="metzler")
    with pytest.raises(ValueError, match="applies to method='metzler' only"):
        certified_radius(net, 0, method="lmi", weights="perron")

def test_claims_round_bounds_the_safe_way(equal_overlap_network):
    """Lower bounds are printed rounded down, upper bounds rounded up (never the nearest decimal)."""
    assert (format_down(0.4140819211), format_up(0.4140811211)) == ("0.414081", "0.414082")
    assert (format_down(0.99999999999909, 4), format_up(1.0000000001, 4)) == ("0.9999", "1.001")
    assert format_down(0.5) == "0.5" and format_up(-0.4140819211) == "-0.414081"
    assert "delta = 0.414081," in radius_claim(0, 0.4140819211, 0.4140819211, False)
    assert "smallest half-width 0.414081)" in radius_claim(0, 0.4140819211, 0.4140819211, False)
    claim = input_claim(1, 1, 0.99999999999909, 0.20000000001)
    assert "at least 0.9999," in claim and "at most 0.2001)" in claim
    claim = sector_claim(0, 0.4140819211, 0.4140811211, 1)
    assert "radius 0.414081 " in claim and "half-width 0.414082 " in claim and "half-width 0.414)" in claim
    result = certified_radius(equal_overlap_network, 0, method="metzler")
    printed = result.certificate.claim.split("delta = ")[1].split(",")[0]
    assert float(printed) <= result.radius and printed in result.summary()


def test_the_check_refuses_a_box_that_is_too_large(equal_overlap_network, reference_radius):
    """The same check the certifier ran: doubling delta (and resealing) breaks condition (M)."""
    cert = reference_radius.certificate
    exact = dict(cert.exact_data)
    exact["delta"] = 2 * exact["delta"]
    forged = dataclasses.replace(cert, exact_data=exact)
    red = reduce_network(equal_overlap_network)
    with pytest.raises(CheckFailed):
        verify_radius(forged, equal_overlap_network, red)
    checked = verify_radius(cert, equal_overlap_network, red)
    assert checked.claim == cert.claim and checked.residuals == cert.residuals and checked.verified_float


def test_no_radius_says_why(equal_overlap_network):
    net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(1.0, 0.2), -0.3, 0.95)
    result = certified_radius(net, 0, method="metzler")
    assert result.certificate.status is aa.CertificateStatus.CONDITION_FAILS
    assert not verify(result.certificate, net).verified


def test_a_box_not_provably_the_memorys_is_no_certificate(equal_overlap_network, monkeypatch):
    """If the exact identity test fails on the certified box, nothing is certified (status: condition fails)."""

    import assocrate.certify.basin as basin
    from assocrate.certify.status import CertificateStatus
    from assocrate.core.identity import Identity

    def nobody(*args, **kwargs):
        return Identity(None, "memory 3", np.zeros(0), np.zeros(0), 0)

    monkeypatch.setattr(basin, "box_identity", nobody)
    result = certified_radius(equal_overlap_network, 0, method="metzler")
    assert not result.certified and result.certificate.status is CertificateStatus.CONDITION_FAILS
    assert "hypothesis 5 fails (identity: the certified equilibrium is memory 0's): the box is not provably memory 0's" \
        in result.certificate.claim
