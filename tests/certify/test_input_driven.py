"""The absorbing box and input-driven global retrieval: one place for the box, the verdict and the check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.input_driven import absorbing_box, certify_input_driven, verify_input
from assocrate.certify.verification import verify
from assocrate.certify.witness import CheckFailed

from .helpers import euler_current


def test_absorbing_box_contains_the_equilibria_and_attracts(equal_overlap_network):
    net = equal_overlap_network
    box = absorbing_box(net)
    currents = net.memory_currents()
    assert np.all(currents >= box.lower[:, None]) and np.all(currents <= box.upper[:, None])
    H = euler_current(net, np.random.default_rng(3).normal(0, 3, (net.n_units, 20)), 60)
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
    H = euler_current(net, np.random.default_rng(4).normal(0, 2, (net.n_units, 30)), 60, u=u[:, None])
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
    with pytest.raises(ValueError, match=r"`u` must be None, a scalar or have shape \(1000,\)"):
        certify_input_driven(net, np.zeros(3))
    with pytest.raises(ValueError, match="`u` must be a scalar or an array"):
        certify_input_driven(net, None)
    with pytest.raises(ValueError, match="`max_iter` must be an integer"):
        absorbing_box(net, max_iter=0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        certify_input_driven(net, 1.0, method="lmi")


def test_a_weak_cue_says_increase_it(equal_overlap_network):
    net = equal_overlap_network
    cert = certify_input_driven(net, 0.25 * (2.0 * net.patterns[:, 0] - 1.0))
    assert cert.status is aa.CertificateStatus.CONDITION_FAILS and "increase" in cert.status.value
    assert cert.residuals and cert.residuals[0].min_eigenvalue <= 0
    # named memory: the box does not even prove that the cue retrieves it
    named = certify_input_driven(net, 0.25 * (2.0 * net.patterns[:, 0] - 1.0), memory=0)
    assert named.status is aa.CertificateStatus.CONDITION_FAILS
    assert "does not prove that the input retrieves memory 0 (increase it)" in named.claim


@pytest.mark.parametrize("method", ["metzler", "contraction"])
def test_the_certifier_and_verify_run_the_same_check(equal_overlap_network, method, monkeypatch):
    """The retrieved memory and the claim come from verify_input, for the certifier as for verify."""
    import assocrate.certify.input_driven as module

    net = equal_overlap_network
    u = 1.0 * (2.0 * net.patterns[:, 1] - 1.0)
    cert = certify_input_driven(net, u, memory=1, method=method)
    checked = verify_input(cert, net, reduce_network(net))
    assert checked.claim == cert.claim and checked.residuals == cert.residuals
    calls = []

    def spy(certificate, network, red, u=None):
        calls.append(certificate.kind)
        return verify_input(certificate, network, red, u)

    monkeypatch.setattr(module, "verify_input", spy)
    assert certify_input_driven(net, u, memory=1, method=method).certified and calls == ["input"]


def test_a_relabelled_retrieved_memory_is_refused(equal_overlap_network):
    net = equal_overlap_network
    cert = certify_input_driven(net, 1.0 * (2.0 * net.patterns[:, 1] - 1.0), memory=1)
    forged = dataclasses.replace(cert, parameters={**cert.parameters, "retrieved": 2})
    with pytest.raises(CheckFailed, match="retrieved memory"):
        verify_input(forged, net, reduce_network(net))
    assert not verify(forged, net).verified
