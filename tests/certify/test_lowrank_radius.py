"""The Metzler radius with the low-rank majorant ``M = |L||C||R|^T >= |W|`` (theory.md §5 item 3).

Checked against independent dense computations at small N: M majorizes |W| entrywise (exactly),
the O(k m) products equal the dense ones, the certified delta satisfies the Metzler condition with
the dense M unit by unit in floats and is never larger than the exact-|W| delta, irreducibility
from the factor support equals strong connectivity of the dense unit graph. Adversarially: the
certificate survives save / load / verify; each hypothesis broken alone in the file (the majorant
label included) is refused naming it; the low-rank path forms no k x k object.
"""

from __future__ import annotations

import dataclasses
import types
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assocrate as aa
from assocrate.certify import radius as radius_module
from assocrate.certify._reduction import ReducedNetwork, reduce_network
from assocrate.certify.basin import residual_bound
from assocrate.certify.metzler import _is_irreducible_lowrank, metzler_check
from assocrate.certify.verification import verify
from assocrate.core.patterns import random_patterns
from assocrate.errors import InvalidInput
from assocrate.graphs import is_irreducible

from ..reference import REFERENCE_SIGMOID, design_quietly
from .forgery import edited, row


def _random_network(n_units: int, seed: int, n_patterns: int = 8):
    return design_quietly(random_patterns(n_units, n_patterns, 0.2, seed=seed), REFERENCE_SIGMOID, -0.3, 0.95,
                          q=0.2, r=0.2)


@pytest.fixture(scope="module")
def network():
    return _random_network(300, 3)


@pytest.fixture(scope="module")
def lowrank(network):
    result = aa.certified_radius(network, 0, method="metzler", majorant="lowrank")
    assert result.certified and result.majorant == "lowrank"
    return result


@pytest.fixture(scope="module", params=["lowrank", "cauchy-schwarz"])
def bounded(request, network):
    """The certificate of each O(k m) / O(k m^2) bound."""
    result = aa.certified_radius(network, 0, method="metzler", majorant=request.param)
    assert result.certified and result.majorant == request.param
    return result


@pytest.fixture(scope="module")
def exact(network):
    result = aa.certified_radius(network, 0, method="metzler", majorant="exact")
    assert result.certified and result.majorant == "exact"
    return result


def _dense_majorant(network) -> np.ndarray:
    return (np.abs(network.L) * np.abs(network.c)) @ np.abs(network.R).T


def test_the_majorant_dominates_abs_w_exactly():
    """``M_st >= |W_hat_st|`` for every pair of classes, in exact rationals (the triangle inequality)."""
    red = reduce_network(_random_network(60, 1, n_patterns=5))
    abs_L, abs_RT, abs_c = red.abs_factors_exact
    M, W = abs_L * abs_c * abs_RT, red.W_exact
    k = red.n_classes
    assert all(M[s, t] >= abs(W[s, t]) for s in range(k) for t in range(k))
    assert any(M[s, t] > abs(W[s, t]) for s in range(k) for t in range(k))  # a genuine overestimate


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n_units=st.integers(5, 40))
def test_lowrank_products_equal_the_dense_majorant(seed, n_units):
    """Float and exact O(k m) products equal ``M diag(n) y`` formed densely (floats to 1e-12, exact equal)."""
    network = _random_network(n_units, seed, n_patterns=4)
    red = reduce_network(network)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 9, red.n_classes) / 8.0
    dense = _dense_majorant(network)[np.ix_(red.part.representatives, red.part.representatives)]
    np.testing.assert_allclose(red.abs_times(y, "lowrank"), dense @ (red.counts * y), rtol=1e-12)
    abs_L, abs_RT, abs_c = red.abs_factors_exact
    M = abs_L * abs_c * abs_RT
    n = red.counts_exact
    expected = [sum(Fraction(int(M[s, t].p), int(M[s, t].q)) * n[t] * Fraction(y[t]) for t in range(len(n)))
                for s in range(len(n))]
    assert red.abs_times_exact([Fraction(x) for x in y], "lowrank") == expected


def test_squares_and_the_cauchy_schwarz_bound_exactly():
    """``(W o W) diag(n) y`` through the factors equals the dense exact sum, and bounds ``(|W| n y)^2 <= q S``."""
    red = reduce_network(_random_network(60, 2, n_patterns=5))
    W, n, k = red.W_exact, red.counts_exact, red.n_classes
    y = [Fraction(int(x), 16) for x in np.random.default_rng(2).integers(0, 16, k)]
    entry = [[Fraction(int(W[s, t].p), int(W[s, t].q)) for t in range(k)] for s in range(k)]
    squares = [Fraction(int(q.p), int(q.q)) for q in red.squares_times_exact(y)]
    assert squares == [sum(entry[s][t] ** 2 * n[t] * y[t] for t in range(k)) for s in range(k)]
    total = sum(nt * yt for nt, yt in zip(n, y))
    row_sums = [sum(abs(entry[s][t]) * n[t] * y[t] for t in range(k)) for s in range(k)]
    assert all(r * r <= q * total for r, q in zip(row_sums, squares))
    np.testing.assert_allclose(red.abs_times(np.array([float(x) for x in y]), "cauchy-schwarz"),
                               [float(q * total) ** 0.5 for q in squares], rtol=1e-12)


def test_bounded_deltas_are_at_most_the_exact_one_and_hold_densely(network, bounded, exact):
    """At the certified delta, (M) holds unit by unit with the dense |W| (which every bound majorizes)."""
    assert 0 < bounded.radius <= exact.radius
    data = bounded.certificate.data
    part = reduce_network(network).part
    center, R = part.expand(data["center"]), part.expand(data["residual_bound"])
    _, K_plus = network.activation.slope_bounds(center - bounded.radius, center + bounded.radius)
    assert np.max((bounded.radius * (np.abs(network.dense_weights()) @ K_plus) + R) / bounded.radius) < 1.0


def test_lowrank_delta_is_at_most_the_exact_one_and_satisfies_the_dense_condition(network, lowrank, exact):
    """Unit by unit with the dense M: ``delta (M K+ 1)_i + R_i < delta`` in floats at the certified delta."""
    assert 0 < lowrank.radius <= exact.radius
    data = lowrank.certificate.data
    part = reduce_network(network).part
    center, R = part.expand(data["center"]), part.expand(data["residual_bound"])
    delta = lowrank.radius
    _, K_plus = network.activation.slope_bounds(center - delta, center + delta)
    M = _dense_majorant(network)
    assert np.all(M >= np.abs(network.dense_weights()))
    ratio = np.max((delta * (M @ K_plus) + R) / delta)
    assert ratio < 1.0
    np.testing.assert_allclose(ratio, data["ratio"], rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 5, 11])
def test_bounds_never_beat_exact_at_small_n(seed):
    net = _random_network(200, seed)
    full = aa.certified_radius(net, 1, method="metzler", majorant="exact")
    for majorant in ("lowrank", "cauchy-schwarz"):
        assert aa.certified_radius(net, 1, method="metzler", majorant=majorant).radius <= full.radius


def test_round_trip_through_a_file(network, bounded, tmp_path):
    cert = bounded.certificate
    assert cert.parameters["majorant"] == bounded.majorant
    assert ("low-rank majorant" if bounded.majorant == "lowrank" else "Cauchy-Schwarz") in cert.claim
    assert ("irreducible" in cert.parameters) == (bounded.majorant == "lowrank")
    assert ("low-rank majorant" if bounded.majorant == "lowrank" else "Cauchy-Schwarz bound") in bounded.summary()
    loaded = aa.load_certificate(aa.save_certificate(tmp_path / "bounded.json", cert))
    result = aa.verify(loaded, network)
    assert result.verified, result.problems


@pytest.mark.parametrize("majorant", ["lowrank", "cauchy-schwarz"])
def test_no_k_by_k_object_on_the_lowrank_path(network, monkeypatch, majorant):
    """Certify and verify with either bound never form W_hat, |W_hat| diag(n), sign(W_hat) or W exactly."""
    def refuse(self):
        raise AssertionError("a k x k object was formed on the low-rank path")

    for name in ("W_hat", "abs_weights", "sign_exact", "W_exact", "W_tilde"):
        monkeypatch.setattr(ReducedNetwork, name, property(refuse))
    result = aa.certified_radius(network, 0, method="metzler", majorant=majorant)
    assert result.certified and verify(result.certificate, network).verified
    with pytest.raises(AssertionError, match="k x k"):
        aa.certified_radius(network, 0, method="metzler", majorant="exact")


def _bigger_lowrank_box(certificate, network):
    """delta x 1.05 with K+ (and R) recomputed for the recorded bound: only the Metzler inequality fails."""
    red = reduce_network(network)
    majorant = certificate.parameters["majorant"]
    center, v = list(certificate.exact_data["center"][0]), list(certificate.exact_data["v"][0])
    delta = certificate.exact_data["delta"] * Fraction(21, 20)
    check = metzler_check(red, center, v, delta, residual_bound(red, center, None, majorant), majorant)
    assert not check.holds
    return {"exact": {"delta": delta, "K_plus": row(check.K_plus)}, "parameters": {"radius": float(delta)}}


EDITS = {  # hypothesis number -> one edit that breaks it alone
    1: lambda c, n: {"exact": {"v": row(list(c.exact_data["v"][0]) + [Fraction(1)])}},
    2: lambda c, n: {"exact": {"v": row([Fraction(1, 2)] + list(c.exact_data["v"][0])[1:])}},
    3: lambda c, n: {"exact": {"R": row([r / 2 for r in c.exact_data["R"][0]])}},
    4: _bigger_lowrank_box,
    5: lambda c, n: {"parameters": {"memory": 1}},
    6: lambda c, n: {"parameters": {"radius": 0.5}},
    7: lambda c, n: {"parameters": {"irreducible": not c.parameters.get("irreducible", False)}},
}


@pytest.mark.parametrize("hypothesis", sorted(EDITS))
def test_each_hypothesis_of_the_bounded_certificates_is_refused(bounded, network, tmp_path, hypothesis):
    forged = edited(bounded.certificate, **EDITS[hypothesis](bounded.certificate, network))
    loaded = aa.load_certificate(aa.save_certificate(tmp_path / "forged.json", forged))
    result = aa.verify(loaded, network)
    assert not result.verified and result.status is aa.CertificateStatus.REFUSED
    assert result.hypothesis == hypothesis, result.problems


def test_an_unknown_majorant_is_refused_naming_the_metzler_inequality(lowrank, network):
    result = aa.verify(edited(lowrank.certificate, parameters={"majorant": "rank-one"}), network)
    assert not result.verified and result.hypothesis == 4 and "majorant" in result.problems[-1]


def test_an_unknown_majorant_in_a_file_is_refused_by_the_schema(lowrank, tmp_path):
    path = aa.save_certificate(tmp_path / "bogus.json", edited(lowrank.certificate, parameters={"majorant": "none"}))
    with pytest.raises(InvalidInput, match="majorant"):
        aa.load_certificate(path)


def test_relabelling_the_majorant_alone_is_refused(lowrank, exact, network):
    """exact -> a bound: the bounds do not give the exact box (hypothesis 3 or 4). lowrank -> exact:
    the exact |W| proves the smaller box too (a true statement), but not the recorded claim and residuals."""
    for label in ("lowrank", "cauchy-schwarz"):
        result = aa.verify(edited(exact.certificate, parameters={"majorant": label}), network)
        assert not result.verified and result.hypothesis in (3, 4, 7), result.problems
    result = aa.verify(edited(lowrank.certificate, parameters={"majorant": "exact"}), network)
    assert not result.verified
    assert "the recorded claim is not the one the data prove" in result.problems or result.hypothesis == 3


def test_the_exact_delta_with_the_lowrank_label_is_a_forgery(lowrank, exact, network):
    """The exact certificate's larger box, relabelled lowrank with R and K+ recomputed for it: (M) fails."""
    cert = exact.certificate
    red = reduce_network(network)
    center, v, delta = list(cert.exact_data["center"][0]), list(cert.exact_data["v"][0]), cert.exact_data["delta"]
    R = residual_bound(red, center, None, "lowrank")
    check = metzler_check(red, center, v, delta, R, "lowrank")
    forged = edited(cert, exact={"R": row(R), "K_plus": row(check.K_plus)}, parameters={"majorant": "lowrank"})
    result = aa.verify(forged, network)
    assert exact.radius > lowrank.radius and not result.verified and result.hypothesis == 4, result.problems


def test_auto_picks_by_class_count_and_says_so(network, monkeypatch):
    assert aa.certified_radius(network, 0, method="metzler").majorant == "exact"
    monkeypatch.setattr(radius_module, "AUTO_LOWRANK_CLASSES", 10)
    result = aa.certified_radius(network, 0, method="metzler")
    assert result.majorant == "lowrank" and result.certificate.parameters["majorant"] == "lowrank"


def test_bad_majorant_arguments(network):
    with pytest.raises(InvalidInput, match="majorant"):
        aa.certified_radius(network, 0, method="metzler", majorant="dense")
    with pytest.raises(InvalidInput, match="method='metzler' only"):
        aa.certified_radius(network, 0, method="interval", majorant="lowrank")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_irreducibility_from_the_factor_support_equals_the_dense_unit_graph(data):
    """The bipartite-graph verdict equals strong connectivity of ``M K+`` formed unit by unit."""
    k = data.draw(st.integers(1, 5))
    m = data.draw(st.integers(1, 3))
    entries = st.sampled_from([0.0, 0.0, 1.0, -0.5])
    L = np.array(data.draw(st.lists(st.lists(entries, min_size=m, max_size=m), min_size=k, max_size=k)))
    R = np.array(data.draw(st.lists(st.lists(entries, min_size=m, max_size=m), min_size=k, max_size=k)))
    c = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, -2.0]), min_size=m, max_size=m)))
    counts = np.array(data.draw(st.lists(st.integers(1, 3), min_size=k, max_size=k)))
    positive = np.array(data.draw(st.lists(st.booleans(), min_size=k, max_size=k)))
    index = np.repeat(np.arange(k), counts)
    fake = types.SimpleNamespace(
        part=types.SimpleNamespace(n_units=int(counts.sum()), representatives=np.arange(k)),
        network=types.SimpleNamespace(L=L, R=R, c=c))
    dense = ((np.abs(L) * np.abs(c)) @ np.abs(R).T)[np.ix_(index, index)]
    expected = is_irreducible(dense, positive[index].astype(float)) if dense.any() or index.size == 1 else False
    assert _is_irreducible_lowrank(fake, positive) == expected


def test_the_certified_radius_dataclass_defaults_to_exact(exact):
    assert dataclasses.replace(exact).majorant == "exact"


@pytest.mark.parametrize("majorant", ["lowrank", "cauchy-schwarz"])
def test_perron_weights_with_the_bounds(network, majorant):
    """A Perron-like v found by power iteration on the bound certifies a box that verify accepts."""
    result = aa.certified_radius(network, 0, method="metzler", weights="perron", majorant=majorant)
    assert result.certified and result.majorant == majorant
    assert 0 < result.min_half_width <= result.radius and verify(result.certificate, network).verified


def test_a_nonsymmetric_projection_rule_network():
    """W = L C R^T with R != L (projection rule, unequal activities): both bounds certify, verify and stay
    below the exact radius; the dense M = |L||C||R|^T majorizes |W| unit by unit."""
    rng = np.random.default_rng(0)
    xi = rng.random((120, 6)) < rng.uniform(0.15, 0.35, 6)
    net = aa.design(xi, REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    assert not net.is_symmetric
    assert np.all(_dense_majorant(net) >= np.abs(net.dense_weights()))
    full = aa.certified_radius(net, 0, method="metzler", majorant="exact")
    for majorant in ("lowrank", "cauchy-schwarz"):
        result = aa.certified_radius(net, 0, method="metzler", majorant=majorant)
        assert result.certified and 0 < result.radius <= full.radius, (majorant, result.radius, full.radius)
        assert verify(result.certificate, net).verified
