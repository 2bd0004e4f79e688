"""The sector-LMI ellipsoid: an l2 statement, checked exactly, tied to its memory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.radius import certified_radius
from assocrate.certify.sector import verify_sector
from assocrate.certify.witness import CheckFailed


def test_sector_lmi_is_an_l2_statement(equal_overlap_network, reference_radius):
    result = certified_radius(equal_overlap_network, 0, method="lmi")
    assert result.certified and result.norm == "l2" and result.certificate.kind == "sector"
    assert 0 < result.radius < reference_radius.radius
    assert result.min_half_width == pytest.approx(result.radius / np.sqrt(equal_overlap_network.n_units))
    assert "not the certified retrieval radius" in result.certificate.claim
    data = result.certificate.data
    # the ellipsoid's l2 ball lies in the box
    assert result.radius <= data["delta"]


@pytest.fixture(scope="module")
def sector(equal_overlap_network):
    return certified_radius(equal_overlap_network, 2, method="lmi")


def test_the_check_reproduces_the_certificate(equal_overlap_network, sector):
    cert = sector.certificate
    assert cert.status is aa.CertificateStatus.CERTIFIED
    checked = verify_sector(cert, equal_overlap_network, reduce_network(equal_overlap_network))
    assert checked.claim == cert.claim and checked.residuals == cert.residuals


def test_the_check_refuses_a_larger_ball(equal_overlap_network, sector):
    cert = sector.certificate
    exact = dict(cert.exact_data)
    exact["r2"] = 4 * exact["r2"]
    forged = dataclasses.replace(cert, exact_data=exact, parameters={**cert.parameters, "radius": float(exact["r2"])})
    with pytest.raises(CheckFailed, match="hypothesis 6 fails .geometry"):
        verify_sector(forged, equal_overlap_network, reduce_network(equal_overlap_network))


def test_too_many_classes_is_a_status(random_network):
    result = certified_radius(random_network, 0, method="lmi", reduction="full")
    assert not result.certified and result.radius == 0.0 and result.norm == "l2"
    assert result.certificate.status is aa.CertificateStatus.TOO_LARGE
