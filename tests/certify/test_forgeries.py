"""Issue 10: the five ways an adversarial user made `verify` print VERIFIED for a false claim.

Each forgery is self-consistent and resealed (the seal is a public SHA-256). Each test shows that
the forgery *would* verify if its hypothesis were not checked (:func:`forgery.skipping`: the
checker as it was), that it is refused now, naming the hypothesis, and the same on the command
line (exit 1). The fifth, a certificate about the wrong memory, uses 10 bare 8 x 8 digit exemplars
(scikit-learn's bundled digits, samples 0-9, one per class, binarized at pixel > 8).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from fractions import Fraction

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.blocks import fmpq_row, verify_blocks
from assocrate.certify.contraction import contraction_blocks
from assocrate.certify.input_driven import ABSORBING_EPSILON
from assocrate.certify.radius import radius_claim
from assocrate.certify.record import Certificate
from assocrate.certify.serialize import checksum, seal
from assocrate.certify.status import CertificateStatus
from assocrate.certify.witness import base_parameters, eta_of
from assocrate.io import save_network
from assocrate.stability.spectra import Verdict

from .forgery import edited, row, skipping, with_derived_claim
from .helpers import euler_current, low_gain


def _digit_exemplars() -> np.ndarray:
    """The 10 bare exemplars of the issue: scikit-learn's digits 0-9 (samples 0-9), pixel > 8, 64 x 10."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    assert list(digits.target[:10]) == list(range(10))
    return (digits.data[:10] > 8).T


def run(cli, *args):
    return cli(*args)


@pytest.fixture(scope="module")
def reference_file(tmp_path_factory, equal_overlap_network):
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", equal_overlap_network)


def _refused_everywhere(cli, tmp_path, certificate, network, network_file, message):
    """verify (API) and `assocrate verify` (CLI) refuse `certificate`, naming `message`."""
    result = aa.verify(certificate, network)
    assert not result.verified and result.status is CertificateStatus.REFUSED
    assert any(message in problem for problem in result.problems), result.problems
    path = aa.save_certificate(tmp_path / "forged.json", certificate)
    code, out, err = run(cli, "verify", path, network_file)
    assert (code, err) == (1, "") and out.startswith("NOT VERIFIED") and message in out


# ---------------------------------------------------------------------------------------------
# 1. A sector certificate with a negative margin
# ---------------------------------------------------------------------------------------------


def test_a_negative_sector_margin_is_refused(equal_overlap_network, reference_file, tmp_path, cli, monkeypatch):
    net = equal_overlap_network
    honest = aa.certified_radius(net, 2, method="lmi").certificate
    assert aa.verify(honest, net).verified
    red = reduce_network(net)
    margin = honest.exact_data["margin"]
    forged = edited(honest, exact={"margin": -1000 * margin})
    with skipping(monkeypatch, 3):  # without "margin > 0", the LMI only gets easier and invariance squares it
        forged = with_derived_claim(forged, net, red)
        assert aa.verify(forged, net).verified
    _refused_everywhere(cli, tmp_path, forged, net, reference_file, "hypothesis 3 fails (signs: margin > 0)")


# ---------------------------------------------------------------------------------------------
# 2. A contraction certificate with a rate c < 0, on a network with several stable equilibria
# ---------------------------------------------------------------------------------------------


def _contraction_forgery(net, c: Fraction) -> Certificate:
    """Q = I, Lambda = I (per unit), sigma = 1 and a very negative rate: the LMI then holds for any W."""
    red = reduce_network(net)
    k, counts = red.n_classes, red.counts_exact
    eta = eta_of(net)
    exact = {"Q": tuple(tuple(Fraction(counts[i] if i == j else 0) for j in range(k)) for i in range(k)),
             "sigma": row([1] * k), "lambda": row([1] * k), "K": fmpq_row([eta] * k), "c": c}
    data = {"Q": np.diag(red.counts.astype(float)), "sigma": np.ones(k), "lambda": np.ones(k),
            "K": np.full(k, float(eta)), "c": float(c), "counts": red.counts}
    parameters = {**base_parameters(net, red), "form": "rate", "eta": float(eta), "rate": float(c)}
    return Certificate("unchecked", "contraction", data, parameters=parameters, exact_data=exact,
                       status=CertificateStatus.NOT_VERIFIED)


def test_a_negative_contraction_rate_is_refused(equal_overlap_network, reference_file, tmp_path, cli, monkeypatch):
    net = equal_overlap_network
    assert aa.local_stability(net).n_stable >= 2  # several stable equilibria: no global contraction exists
    red = reduce_network(net)
    forged = _contraction_forgery(net, Fraction(-1000))
    blocks = contraction_blocks(red, form="rate", Q=forged.exact_matrix("Q"), sigma=[1] * red.n_classes,
                                lam=[1] * red.n_classes, K_plus=[eta_of(net)] * red.n_classes, c=Fraction(-1000))
    assert verify_blocks(blocks)[2]  # the LMI itself holds exactly: only the sign of c is wrong
    with skipping(monkeypatch, 2):
        forged = with_derived_claim(forged, net, red)
        assert aa.verify(forged, net).verified and "exactly one equilibrium" in forged.claim
    _refused_everywhere(cli, tmp_path, forged, net, reference_file, "hypothesis 2 fails (the rate: 0 < c < 1)")


def test_the_input_certificates_contraction_path_refuses_a_negative_rate(equal_overlap_network, reference_file,
                                                                        tmp_path, cli, monkeypatch):
    net = equal_overlap_network
    cue = 1.0 * (2.0 * net.patterns[:, 1] - 1.0)
    honest = aa.certify_input_driven(net, cue, memory=1, method="contraction")
    assert honest.certified
    c = honest.exact_data["c"]
    forged = edited(honest, exact={"c": -c}, parameters={"rate": float(-c)})
    with skipping(monkeypatch, 2):
        forged = with_derived_claim(forged, net, reduce_network(net))
        assert aa.verify(forged, net).verified
    _refused_everywhere(cli, tmp_path, forged, net, reference_file, "hypothesis 2 fails (the rate: 0 < c < 1)")


# ---------------------------------------------------------------------------------------------
# 3. An input certificate with v <= 0 (the Metzler test becomes a test of non-contraction)
# ---------------------------------------------------------------------------------------------


def test_a_non_positive_input_weight_vector_is_refused(equal_overlap_network, reference_file, tmp_path, cli,
                                                       monkeypatch):
    net = equal_overlap_network
    weak = aa.certify_input_driven(net, 0.25 * (2.0 * net.patterns[:, 0] - 1.0))
    assert weak.status is CertificateStatus.CONDITION_FAILS  # no honest certificate exists
    red = reduce_network(net)
    k = red.n_classes
    exact = {name: row(Fraction(x) for x in weak.data[name]) for name in ("lower", "upper", "u", "K_plus")}
    exact.update({"v": row([-1] * k), "epsilon": ABSORBING_EPSILON})
    data = {**weak.data, "v": -np.ones(k)}
    forged = Certificate("unchecked", "input", data, parameters=weak.parameters, exact_data=exact,
                         status=CertificateStatus.NOT_VERIFIED)
    with skipping(monkeypatch, 5):
        forged = with_derived_claim(forged, net, red)
        assert aa.verify(forged, net).verified and "converges exponentially to one equilibrium" in forged.claim
    _refused_everywhere(cli, tmp_path, forged, net, reference_file, "hypothesis 5 fails (the Metzler test: v > 0)")


def test_an_input_certificate_relabelled_to_another_memory_is_refused(equal_overlap_network, reference_file,
                                                                      tmp_path, cli):
    net = equal_overlap_network
    honest = aa.certify_input_driven(net, 1.0 * (2.0 * net.patterns[:, 1] - 1.0), memory=1)
    forged = edited(honest, parameters={"memory": 3})
    _refused_everywhere(cli, tmp_path, forged, net, reference_file,
                        "hypothesis 4 fails (identity: the input retrieves the memory named): the input retrieves "
                        "memory 1, not memory 3")


# ---------------------------------------------------------------------------------------------
# 4. A radius certificate whose v has one entry more than there are row types
# ---------------------------------------------------------------------------------------------


def test_a_surplus_weight_entry_is_refused_and_its_claim_is_false(equal_overlap_network, reference_file, tmp_path,
                                                                  cli):
    net = equal_overlap_network
    honest = aa.certified_radius(net, 0, method="metzler").certificate
    red = reduce_network(net)
    delta = honest.exact_data["delta"]
    v = row([Fraction(1, 2)] * red.n_classes + [1])  # zipped with k entries: the box is the honest one
    forged = edited(honest, exact={"v": v, "delta": 2 * delta}, parameters={"radius": float(2 * delta), "weights": "perron"})
    forged = seal(dataclasses.replace(forged, claim=radius_claim(0, float(2 * delta), float(delta), True)))
    _refused_everywhere(cli, tmp_path, forged, net, reference_file,
                        f"hypothesis 1 fails (dimensions): exact_data['v'] has {red.n_classes + 1} entries; the "
                        f"network has {red.n_classes} classes of units")
    # The forged claim (half-width 2 delta on every unit) is false: corners of that box miss the memory.
    center = red.part.expand(honest.data["center"])
    signs = red.part.expand(np.random.default_rng(0).choice([-1.0, 1.0], size=(red.n_classes, 10)))
    final = euler_current(net, center[:, None] + 2 * float(delta) * signs, 400)
    missed = np.max(np.abs(final - center[:, None]), axis=0) > 1e-3
    assert missed.sum() >= 3  # measured: 6 of 10 seeded class-constant corners end elsewhere (0.1 to 1.7 away)


def test_a_radius_weights_label_edited_is_refused(equal_overlap_network, reference_file, tmp_path, cli):
    net = equal_overlap_network
    perron = aa.certified_radius(net, 1, weights="perron", method="metzler").certificate
    assert min(perron.data["v"]) < 1
    forged = edited(perron, parameters={"weights": "uniform"})
    _refused_everywhere(cli, tmp_path, forged, net, reference_file,
                        "hypothesis 2 fails (the box: the weights label says what v is)")


# ---------------------------------------------------------------------------------------------
# 5. The wrong memory: an approximate design of 10 digit exemplars
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    patterns = _digit_exemplars()
    assert patterns.shape == (64, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # approximate design, on purpose
        return aa.design(patterns, aa.Sigmoid(4.8, 0.2), -0.3, 0.95)


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory, digits):
    return save_network(tmp_path_factory.mktemp("digits") / "digits.npz", digits)


@pytest.mark.parametrize("mu", [1, 3, 8, 9])
def test_no_certificate_for_a_memory_whose_equilibrium_is_another_memorys(digits, digits_file, cli, mu):
    result = aa.certified_radius(digits, mu, method="metzler")
    assert not result.certified and result.radius == 0
    assert result.certificate.claim == f"no certificate found: the equilibrium near memory {mu} is memory 5's"
    code, out, _ = run(cli, "certify", digits_file, "--memory", mu)
    assert code == 1 and f"the equilibrium near memory {mu} is memory 5's" in out


def test_memory_5s_box_relabelled_to_memory_1_is_refused(digits, digits_file, tmp_path, cli, monkeypatch):
    honest = aa.certified_radius(digits, 5, method="metzler")
    assert honest.certified and aa.verify(honest.certificate, digits).verified
    red = reduce_network(digits)
    forged = edited(honest.certificate, parameters={"memory": 1})
    with skipping(monkeypatch, 5):  # the old test: Newton from x̄^1 lands in the box (memory 5's equilibrium)
        forged = with_derived_claim(forged, digits, red)
        assert aa.verify(forged, digits).verified and "around memory 1" in forged.claim
    _refused_everywhere(cli, tmp_path, forged, digits, digits_file,
                        "hypothesis 5 fails (identity: the certified equilibrium is memory 1's): the equilibrium "
                        "near memory 1 is memory 5's")
    # the cue at the box's centre is memory 5's equilibrium: the l1-nearest designed state is x̄^5
    rates = digits.activation.phi(red.part.expand(honest.certificate.data["center"]))
    distances = np.abs(rates[:, None] - digits.memory_rates()).sum(axis=0)
    assert int(np.argmin(distances)) == 5


def test_check_and_check_certify_agree_on_every_memory(digits, digits_file, cli):
    stability = aa.local_stability(digits)
    assert stability.memories[0].owner == 5 and stability.memories[0].verdict is not Verdict.STABLE
    code, plain, _ = run(cli, "check", digits_file)
    assert code == 0 and "the equilibrium near memory 0 is memory 5's" in plain
    code, certified, _ = run(cli, "check", digits_file, "--certify", "--json")
    for row_ in json.loads(certified)["memories"]:
        assert row_["certified"] == row_["stable"], row_
    assert [r["index"] for r in json.loads(certified)["memories"] if r["certified"]] == [5]
    certificate = aa.lyapunov_certificate(digits, 0)
    assert not certificate.certified and "the equilibrium near memory 0 is memory 5's" in certificate.claim


def test_the_honest_certificates_still_verify(equal_overlap_network, reference_file, tmp_path, cli):
    net = equal_overlap_network
    cue = 1.0 * (2.0 * net.patterns[:, 1] - 1.0)
    low = low_gain(net)  # monostable (same W, gain 0.5): not a design, so not a network file
    cases = [
        (aa.certified_radius(net, 0, method="metzler").certificate, net, reference_file),
        (aa.certified_radius(net, 1, weights="perron", method="metzler").certificate, net, reference_file),
        (aa.certified_radius(net, 2, method="lmi").certificate, net, reference_file),
        (aa.certify_input_driven(net, cue, memory=1), net, reference_file),
        (aa.certify_input_driven(net, cue, memory=1, method="contraction"), net, reference_file),
        (aa.certify_lds(low), low, None),
        (aa.certify_contraction(low), low, None),
        (aa.certify_contraction(low, form="current"), low, None),
    ]
    for index, (certificate, network, network_file) in enumerate(cases):
        assert certificate.certified, certificate.claim
        path = aa.save_certificate(tmp_path / f"honest{index}.json", certificate)
        assert aa.verify(aa.load_certificate(path), network).verified
        if network_file is not None:
            code, out, _ = run(cli, "verify", path, network_file)
            assert code == 0 and out.startswith("VERIFIED"), out


def test_a_seal_is_no_defence_but_the_hypotheses_are(equal_overlap_network):
    """A hand-edited certificate is resealed by anyone (the seal is a public SHA-256)."""
    honest = aa.certified_radius(equal_overlap_network, 0, method="metzler").certificate
    forged = edited(honest, parameters={"radius": 1.0})
    assert forged.parameters["checksum"] == checksum(forged)
    result = aa.verify(forged, equal_overlap_network)
    assert not result.verified and any("hypothesis 6 fails" in p for p in result.problems)
    unsealed = dataclasses.replace(forged, parameters={**forged.parameters, "checksum": "0" * 64})
    assert not aa.verify(unsealed, equal_overlap_network).verified


def test_check_certify_never_certifies_a_memory_check_calls_undecided(tmp_path, cli):
    """rho = 1.2131720199598761: every memory's largest eigenvalue is -5.02e-13, 'undecided' for check.

    The middle of the undecided band (|lambda| <= 1e-12 here), so a change of the eigensolver's
    rounding (~1e-16) cannot move it out; at its edge (-1.0005e-12) numpy's eigh instead of scipy's
    already made the memory 'stable'.
    """
    net = aa.design(aa.equal_overlap_patterns(500, 0.2), aa.Sigmoid(1.2131720199598761, 0.2), -0.3, 0.95)
    path = save_network(tmp_path / "boundary.npz", net)
    code, out, _ = run(cli, "check", path, "--certify", "--json")
    memories = json.loads(out)["memories"]
    assert code == 0 and memories[0]["verdict"] == "undecided"
    for row_ in memories:
        assert row_["certified"] == row_["stable"], row_
    assert memories[0]["certificate"] == "no certificate: check's verdict is undecided"
    code, text, _ = run(cli, "check", path, "--certify")
    assert "memory 0: CERTIFIED" not in text and "memory 0: not certified" in text


def test_verify_names_the_failed_hypothesis(equal_overlap_network, reference_file, tmp_path, cli):
    honest = aa.certified_radius(equal_overlap_network, 0, method="metzler").certificate
    forged = edited(honest, exact={"delta": -honest.exact_data["delta"]}, parameters={"radius": -honest.parameters["radius"]})
    result = aa.verify(forged, equal_overlap_network)
    assert (result.verified, result.hypothesis) == (False, 2)
    assert aa.verify(honest, equal_overlap_network).hypothesis is None
    path = aa.save_certificate(tmp_path / "negative.json", forged)
    code, out, _ = run(cli, "verify", path, reference_file, "--json")
    assert code == 1 and json.loads(out)["failed_hypothesis"] == 2
