"""The interval-iteration radius (theory.md §5 item 3b): the reference value, simulated starts, the check.

The mutation tests break one hypothesis of :func:`verify_interval` at a time, keeping every other
recorded entry consistent with the network, and require the check to name the broken one.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from fractions import Fraction

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.basin import residual_bound
from assocrate.certify.interval import MAX_STEPS, interval_chain, verify_interval
from assocrate.certify.metzler import metzler_check
from assocrate.certify.radius import certified_radius
from assocrate.certify.serialize import from_json, to_json
from assocrate.certify.verification import verify
from assocrate.certify.witness import CheckFailed
from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns

from ..reference import REFERENCE_SIGMOID
from .helpers import euler_current


@pytest.fixture(scope="module")
def interval_result(equal_overlap_network):
    return certified_radius(equal_overlap_network, 0, method="interval")


def box_starts(center: np.ndarray, delta: float, n_starts: int, seed: int) -> np.ndarray:
    """Starts in the box ``|h - center| <= delta``: a third corners, a third on faces, a third inside."""
    rng = np.random.default_rng(seed)
    n = center.size
    third = n_starts // 3
    corners = rng.choice([-1.0, 1.0], (n, third))
    faces = rng.uniform(-1.0, 1.0, (n, third))
    pinned = rng.random((n, third)) < 0.5  # half the coordinates on a face, at least one per start
    pinned[rng.integers(0, n, third), np.arange(third)] = True
    faces[pinned] = rng.choice([-1.0, 1.0], int(pinned.sum()))
    interior = rng.uniform(-1.0, 1.0, (n, n_starts - 2 * third))
    return center[:, None] + delta * np.concatenate([corners, faces, interior], axis=1)


def test_reference_radius_is_certified_and_beats_metzler(interval_result, equal_overlap_network, reference_radius):
    result = interval_result
    # theory.md §5 item 3b: a float experiment reaches 0.55; corners fail at 0.62
    assert result.certified and result.certificate.kind == "interval"
    assert 0.55 <= result.radius < 0.62
    assert result.radius > reference_radius.radius * 1.3  # Metzler: 0.414
    assert result.min_half_width == result.radius
    cert = result.certificate
    assert cert.parameters["radius"] == result.radius and cert.parameters["steps"] >= 1
    assert all(row.satisfied for row in cert.residuals)
    assert "certified retrieval radius 0.56" in result.summary()
    assert verify(cert, equal_overlap_network).verified
    assert verify(from_json(to_json(cert)), equal_overlap_network).verified


def test_every_memory_has_the_same_interval_radius(equal_overlap_network, interval_result):
    for mu in (1, 5):
        assert certified_radius(equal_overlap_network, mu).radius == pytest.approx(interval_result.radius, rel=1e-6)


def test_starts_in_the_certified_box_stay_and_converge(equal_overlap_network, interval_result):
    """300 starts (corners, faces, interior); Euler with s = 1/2 is a convex combination of h and
    W Phi(h) in F(B) ⊆ B, so the box must stay invariant for the discrete steps too."""
    net = equal_overlap_network
    delta = interval_result.radius
    center = net.memory_currents()[:, 0]
    H = box_starts(center, delta, 300, seed=0)
    phi = net.activation.phi
    farthest = 0.0
    for _ in range(200):
        H = H + 0.5 * (-H + net.weights_matvec(phi(H)))
        farthest = max(farthest, float(np.max(np.abs(H - center[:, None]))))
    assert farthest <= delta
    assert np.max(np.abs(H - center[:, None])) < 1e-8


def test_class_corners_bracket_the_empirical_basin(equal_overlap_network, interval_result):
    """The 128 corners that are constant on each of the 7 row types: all converge at delta = 0.58, some
    fail at 0.62 (theory.md §5 item 3b), so the certified 0.561 is within 0.95 of the empirical basin."""
    net = equal_overlap_network
    index = reduce_network(net).part.index
    center = net.memory_currents()[:, 0]
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=7))).T[index]
    converged = {}
    for delta in (0.58, 0.62):
        H = euler_current(net, center[:, None] + delta * signs, 300)
        converged[delta] = int(np.sum(np.max(np.abs(H - center[:, None]), axis=0) < 1e-6))
    assert converged == {0.58: 128, 0.62: converged[0.62]} and converged[0.62] < 128
    assert interval_result.radius / 0.62 > 0.9


def test_random_design_interval_at_least_metzler(random_network):
    interval = certified_radius(random_network, 0)
    metzler = certified_radius(random_network, 0, method="metzler")
    assert interval.certified and metzler.certified
    assert interval.radius > metzler.radius
    assert verify(interval.certificate, random_network).verified


def test_full_reduction_gives_the_same_interval_radius():
    net = design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    by_types = certified_radius(net, 0)
    by_units = certified_radius(net, 0, reduction="full")
    assert by_units.certified and by_units.certificate.parameters["n_classes"] == 100
    assert by_units.radius == pytest.approx(by_types.radius, rel=1e-6)


def test_positive_gamma_interval_at_least_metzler(positive_gamma_network):
    interval = certified_radius(positive_gamma_network, 0)
    assert interval.certified and interval.radius > certified_radius(positive_gamma_network, 0, method="metzler").radius


def test_unstable_memory_gets_no_interval_certificate():
    net = design(equal_overlap_patterns(1000, 0.2), Sigmoid(1.0, 0.2), -0.3, 0.95)
    result = certified_radius(net, 0)
    assert not result.certified and result.radius == 0.0
    assert result.certificate.status is aa.CertificateStatus.CONDITION_FAILS


def test_perron_weights_are_refused_for_the_interval_method(equal_overlap_network):
    with pytest.raises(aa.InvalidInput, match="`weights`='perron' applies to method='metzler' only"):
        certified_radius(equal_overlap_network, 0, weights="perron")


def test_chain_from_a_box_too_large_is_not_invariant(equal_overlap_network):
    red = reduce_network(equal_overlap_network)
    center = [Fraction(h) for h in equal_overlap_network.memory_currents()[red.part.representatives, 0]]
    ones = [Fraction(1)] * red.n_classes
    assert not interval_chain(red, center, ones, Fraction(62, 100), 5).invariant
    chain = interval_chain(red, center, ones, Fraction(55, 100), 5)
    assert chain.invariant and chain.steps == 5 and chain.margin >= 0


# ---------------------------------------------------------------------------------------------
# Mutations: each hypothesis of the check violated alone
# ---------------------------------------------------------------------------------------------


def _row(values) -> tuple:
    return (tuple(Fraction(x) for x in values),)


def _mutated(cert, *, parameters=None, **exact):
    return dataclasses.replace(cert, exact_data={**cert.exact_data, **exact},
                               parameters={**cert.parameters, **(parameters or {})})


def _entry(cert, name):
    return list(cert.exact_data[name][0])


@pytest.fixture(scope="module")
def reduced(equal_overlap_network):
    return reduce_network(equal_overlap_network)


def test_the_unmutated_witness_passes(interval_result, equal_overlap_network, reduced):
    checked = verify_interval(interval_result.certificate, equal_overlap_network, reduced)
    assert checked.claim == interval_result.certificate.claim


def _bigger_metzler_box(cert, reduced, delta):
    """The end box at half-width `delta` with the recomputed slope bounds, so only (M) itself can fail."""
    center, v = _entry(cert, "center"), _entry(cert, "metzler_v")
    R = residual_bound(reduced, center, None)
    check = metzler_check(reduced, center, v, delta, R)
    return {"metzler_delta": delta, "K_plus": _row(check.K_plus)}


MUTATIONS = {
    "lengths": (lambda c, r: _mutated(c, lower=_row(_entry(c, "lower")[:-1])), "hypothesis 1 fails (dimensions)"),
    "delta positive": (lambda c, r: _mutated(c, delta=Fraction(0)), "hypothesis 2 fails (the box: delta > 0)"),
    "v positive": (lambda c, r: _mutated(c, v=_row([0] + _entry(c, "v")[1:])), "hypothesis 2 fails (the box: v > 0)"),
    "metzler v positive": (
        lambda c, r: _mutated(c, metzler_v=_row([0] + _entry(c, "metzler_v")[1:])), "hypothesis 3 fails (the end box: delta_M > 0"),
    "metzler delta positive": (lambda c, r: _mutated(c, metzler_delta=Fraction(-1, 8)), "hypothesis 3 fails (the end box: delta_M > 0"),
    "metzler inequality": (
        lambda c, r: _mutated(c, **_bigger_metzler_box(c, r, Fraction(3, 4))), "hypothesis 3 fails (the end box: the Metzler inequality)"),
    "slope bounds": (
        lambda c, r: _mutated(c, K_plus=_row([k / 2 for k in _entry(c, "K_plus")])), "hypothesis 3 fails (the end box: rigorous slope bounds)"),
    "residual bounds": (lambda c, r: _mutated(c, R=_row([0] * 7)), "hypothesis 3 fails (the end box: rigorous residual bounds)"),
    "memory": (lambda c, r: _mutated(c, parameters={"memory": 1}), "hypothesis 4 fails (identity"),
    "invariance": (
        lambda c, r: _mutated(c, delta=Fraction(5, 8), parameters={"radius": 0.625}), "hypothesis 5 fails (invariance: F(B) inside B)"),
    "chain inside the last box": (
        lambda c, r: _mutated(c, lower=_row(_entry(c, "center")), upper=_row(_entry(c, "center"))),
        "hypothesis 6 fails (the chain: B_K inside the recorded last box)"),
    "last box inside M": (
        lambda c, r: _mutated(c, lower=_row([h - c.exact_data["delta"] for h in _entry(c, "center")]),
                              upper=_row([h + c.exact_data["delta"] for h in _entry(c, "center")])),
        "hypothesis 6 fails (the chain: the recorded last box strictly inside"),
    "steps": (lambda c, r: _mutated(c, parameters={"steps": 0}), "hypothesis 6 fails (the chain: the number of steps)"),
    "too many steps": (lambda c, r: _mutated(c, parameters={"steps": MAX_STEPS + 1}), f"got {MAX_STEPS + 1}"),
    "radius": (lambda c, r: _mutated(c, parameters={"radius": 0.6}), "hypothesis 7 fails (the recorded radius is delta)"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_broken_hypothesis_is_caught(name, interval_result, equal_overlap_network, reduced):
    mutate, message = MUTATIONS[name]
    with pytest.raises(CheckFailed, match=re.escape(message)):
        verify_interval(mutate(interval_result.certificate, reduced), equal_overlap_network, reduced)


def test_verify_refuses_an_edited_file(interval_result, equal_overlap_network):
    edited = _mutated(interval_result.certificate, delta=Fraction(5, 8))
    outcome = verify(edited, equal_overlap_network)
    assert not outcome.verified and outcome.status is aa.CertificateStatus.REFUSED
    other = design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    assert not verify(interval_result.certificate, other).verified


def test_retrieves_covers_every_cue_the_metzler_box_covers(equal_overlap_network, interval_result, reference_radius):
    net = equal_overlap_network
    rates = net.memory_rates()[:, [0]] * np.linspace(0.2, 1.0, 41)[None, :]  # weaker and weaker cues of memory 0
    by_interval = interval_result.retrieves(net, rates)
    by_metzler = reference_radius.retrieves(net, rates)
    assert np.all(by_interval >= by_metzler) and by_interval.sum() > by_metzler.sum() > 0


def test_a_non_symmetric_projection_design_is_certified_beyond_metzler():
    """W = L C R^T (the projection rule on digit prototypes): the interval method needs no symmetry."""
    net = aa.design(aa.digit_prototypes(), REFERENCE_SIGMOID, -0.3, 0.95, rule="projection")
    assert not net.is_symmetric
    interval = certified_radius(net, 4)
    assert interval.certified and interval.radius > 1.3 * certified_radius(net, 4, method="metzler").radius
    assert verify(interval.certificate, net).verified
    center = np.asarray(interval.certificate.data["center"])[reduce_network(net).part.index]
    H = euler_current(net, box_starts(center, interval.radius, 60, seed=3), 400)
    assert np.max(np.abs(H - center[:, None])) < 1e-6


def test_a_box_not_provably_the_memorys_is_no_interval_certificate(equal_overlap_network, monkeypatch):
    from assocrate.certify import basin
    from assocrate.core.identity import Identity

    def nobody(*args, **kwargs):
        return Identity(None, "memory 3", np.zeros(0), np.zeros(0), 0)

    monkeypatch.setattr(basin, "box_identity", nobody)
    result = certified_radius(equal_overlap_network, 0)
    assert not result.certified and result.certificate.status is aa.CertificateStatus.CONDITION_FAILS
    assert "hypothesis 4 fails (identity" in result.certificate.claim


def test_the_schema_requires_the_interval_witness(interval_result):
    import json

    document = json.loads(to_json(interval_result.certificate))
    del document["exact_data"]["metzler_delta"]
    with pytest.raises(aa.InvalidInput, match="metzler_delta"):
        from_json(json.dumps(document))
    document = json.loads(to_json(interval_result.certificate))
    del document["parameters"]["steps"]
    with pytest.raises(aa.InvalidInput, match="steps"):
        from_json(json.dumps(document))
