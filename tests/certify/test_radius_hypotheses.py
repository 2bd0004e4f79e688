"""Each hypothesis of the Metzler radius certificate, broken alone in the file and resealed, is refused.

The certificate is edited as an adversary would (one field, float twins kept consistent, resealed
with the public SHA-256), written to disk, loaded back and re-checked by :func:`assocrate.verify`,
which must refuse it and name the hypothesis of :func:`~assocrate.certify.radius.verify_radius`
that fails. Hypothesis 4 (the Metzler inequality) cannot fail alone by editing one field: delta
also fixes the recomputed slope bounds (hypothesis 3), so its case edits delta together with the
K+ recomputed for it, the smallest edit that reaches it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.basin import residual_bound
from assocrate.certify.metzler import metzler_check

from .forgery import edited, row


def _entry(certificate, name):
    return list(certificate.exact_data[name][0])


def _bigger_box(certificate, network):
    """delta x 1.5 with the slope bounds recomputed for it: only the Metzler inequality can fail."""
    red = reduce_network(network)
    center, v = _entry(certificate, "center"), _entry(certificate, "v")
    delta = certificate.exact_data["delta"] * Fraction(3, 2)
    check = metzler_check(red, center, v, delta, residual_bound(red, center, None))
    return {"exact": {"delta": delta, "K_plus": row(check.K_plus)}, "parameters": {"radius": float(delta)}}


EDITS = {  # hypothesis number -> the edit that breaks it alone
    1: lambda c, n: {"exact": {"v": row(_entry(c, "v") + [Fraction(1)])}},
    2: lambda c, n: {"exact": {"v": row([Fraction(1, 2)] + _entry(c, "v")[1:])}},
    3: lambda c, n: {"exact": {"R": row([r / 2 for r in _entry(c, "R")])}},
    4: _bigger_box,
    5: lambda c, n: {"parameters": {"memory": 1}},
    6: lambda c, n: {"parameters": {"radius": 0.5}},
    7: lambda c, n: {"parameters": {"irreducible": False}},
}


@pytest.fixture(scope="module")
def honest(equal_overlap_network):
    certificate = aa.certified_radius(equal_overlap_network, 0, method="metzler").certificate
    assert certificate.certified and aa.verify(certificate, equal_overlap_network).verified
    return certificate


@pytest.mark.parametrize("hypothesis", sorted(EDITS))
def test_each_hypothesis_broken_in_the_file_is_refused(honest, equal_overlap_network, tmp_path, hypothesis):
    forged = edited(honest, **EDITS[hypothesis](honest, equal_overlap_network))
    loaded = aa.load_certificate(aa.save_certificate(tmp_path / "forged.json", forged))
    result = aa.verify(loaded, equal_overlap_network)
    assert not result.verified and result.status is aa.CertificateStatus.REFUSED
    assert result.hypothesis == hypothesis, result.problems
