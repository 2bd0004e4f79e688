"""Cues, overlaps, classification, retrieval runs, basins and capacity (DESIGN.md §7).

The reference experiment: N = 1000, q = 0.2, P = 14 random patterns, sigmoid rho = 4.8,
threshold = 0.2, tau = 1, dt = 0.01, t in [0, 10], cues keep 60 % of the active units.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.core.design import MemoryNetwork
from assocrate.core.equilibria import uniform_states
from assocrate.core.patterns import random_patterns
from assocrate.retrieval import (
    CUE_KINDS,
    CueSet,
    Outcome,
    add_noise,
    basin_profile,
    capacity_curve,
    classify,
    cue_rates,
    delete_active,
    flip,
    ideal_overlaps,
    input_cue,
    letter_patterns,
    make_cues,
    nonstored_cues,
    overlaps,
    parse_cue,
    retrieve,
)

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="module")
def negative_gamma_run(random_network) -> tuple:
    """The reference experiment, gamma < 0: 4 cues from each of the 14 memories."""
    cues = make_cues(random_network, "delete", 0.4, trials=4, seed=1)
    return cues, retrieve(random_network, cues, t_max=10.0, dt=0.01)


@pytest.fixture(scope="module")
def positive_gamma_network(random_network) -> MemoryNetwork:
    """The same random patterns with a = 0.1 (gamma > 0)."""
    return design_quietly(random_network.patterns, REFERENCE_SIGMOID, 0.1, 0.95, q=0.2, r=0.2)


# --- cue makers ----------------------------------------------------------------------------------


def test_delete_active_removes_exactly_that_fraction():
    xi = random_patterns(1000, 5, 0.2, seed=0)
    cue = delete_active(xi, 0.4, seed=1)
    assert cue.shape == xi.shape and cue.dtype == bool
    assert np.all(cue <= xi)  # only active units are switched off
    np.testing.assert_array_equal(cue.sum(axis=0), xi.sum(axis=0) - np.round(0.4 * xi.sum(axis=0)))
    np.testing.assert_array_equal(cue, delete_active(xi, 0.4, seed=1))
    assert not np.array_equal(cue, delete_active(xi, 0.4, seed=2))
    np.testing.assert_array_equal(delete_active(xi, 0.0, seed=0), xi)
    assert not delete_active(xi, 1.0, seed=0).any()


def test_flip_changes_exactly_that_many_units():
    xi = random_patterns(500, 3, 0.2, seed=0)
    cue = flip(xi, 0.1, seed=3)
    np.testing.assert_array_equal((cue != xi).sum(axis=0), [50, 50, 50])
    assert flip(xi[:, 0], 0.1, seed=3).shape == (500,)


def test_add_noise_and_input_cue():
    x = add_noise(np.full((2000,), 0.5), 0.05, seed=0)
    assert x.std() == pytest.approx(0.05, rel=0.05)
    np.testing.assert_array_equal(add_noise(np.zeros(5), 0.0, seed=0), np.zeros(5))
    pulses = input_cue(np.array([[1, 0], [0, 1], [1, 1]]), 0.5, 2.0, start=1.0)
    np.testing.assert_array_equal(pulses.at(1.5), [[0.5, 0.0], [0.0, 0.5], [0.5, 0.5]])
    assert not pulses.at(3.0).any()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: delete_active(np.array([1, 0, 2]), 0.5), "`pattern` must be binary"),
        (lambda: delete_active(np.array([1, 0, 1]), 1.5), r"`fraction` must be in \[0, 1\]"),
        (lambda: flip(np.array([1, 0, 1]), -0.1), r"`fraction` must be in \[0, 1\]"),
        (lambda: add_noise(np.zeros(3), -1.0), "`sigma` must be >= 0"),
        (lambda: input_cue(np.array([1, 0]), 0.5, 0.0), "`duration` must be > 0"),
    ],
)
def test_cue_makers_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("delete:0.4", ("delete", 0.4, 1.0)), ("FLIP:0.1", ("flip", 0.1, 1.0)), ("noise:0.2", ("noise", 0.2, 1.0)),
     ("input:0.3", ("input", 0.3, 1.0)), ("input:0.3:2.5", ("input", 0.3, 2.5))],
)
def test_parse_cue(spec, expected):
    assert parse_cue(spec) == expected


@pytest.mark.parametrize("spec", ["delete", "delete:abc", "erase:0.4", "delete:1.5", "noise:-1", "input:0",
                                  "delete:0.4:2", "input:0.3:-1", ""])
def test_parse_cue_rejects_bad_specs(spec):
    with pytest.raises(ValueError, match="`cue`"):
        parse_cue(spec)


def test_make_cues_layout_and_kinds(random_network):
    net = random_network
    cues = make_cues(net, "delete", 0.4, trials=3, memories=[2, 5], seed=0)
    assert cues.n_cues == 6 and cues.cued.tolist() == [2, 2, 2, 5, 5, 5] and cues.spec == "delete:0.4"
    phi_a, phi_b = (float(net.activation.phi(v)) for v in (net.a, net.b))
    assert set(np.unique(cues.x0)) <= {phi_a, phi_b}
    for kind in CUE_KINDS:
        made = make_cues(net, kind, 0.2, seed=0)
        assert made.x0.shape == (1000, 14) and (made.u is not None) == (kind == "input")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        make_cues(net, "erase", 0.4)
    with pytest.raises(ValueError, match="`memories` must be in"):
        make_cues(net, "delete", 0.4, memories=[14])
    assert "CueSet" in repr(cues)


def test_cue_rates_rescale_binary_patterns(random_network):
    np.testing.assert_array_equal(cue_rates(random_network, random_network.patterns), random_network.memory_rates())
    with pytest.raises(ValueError, match="`binary` must have shape"):
        cue_rates(random_network, np.zeros(3))


# --- overlaps and classification ----------------------------------------------------------


def test_overlaps_at_the_rescaled_memories(random_network):
    """m^mu = phi(b) exactly; the others (1 - r) phi(a) + r phi(b) ~ (1 - q) phi(a) + q phi(b)."""
    net = random_network
    phi_a, phi_b = (float(net.activation.phi(v)) for v in (net.a, net.b))
    m = overlaps(net.memory_rates(), net.patterns)
    np.testing.assert_allclose(np.diag(m), phi_b, rtol=1e-14)
    np.testing.assert_allclose(m, ideal_overlaps(net).T, atol=1e-14)
    off = m[~np.eye(14, dtype=bool)]
    assert abs(off.mean() - (0.8 * phi_a + 0.2 * phi_b)) < 0.01
    literal = overlaps(net.memory_rates(), net.patterns, q=0.2)  # x . xi / (N q)
    np.testing.assert_allclose(literal, net.patterns.T @ net.memory_rates() / 200.0)


def test_overlaps_reject_bad_shapes(random_network):
    with pytest.raises(ValueError, match="`X` must have shape"):
        overlaps(np.zeros(5), random_network.patterns)


def test_classify_ideal_states(random_network, positive_gamma_network):
    net = random_network
    quiescent = uniform_states(net)[0].rate
    X = np.column_stack([net.memory_rates()[:, :3], np.full(1000, quiescent), np.full(1000, 0.5),
                         0.5 * net.memory_rates()[:, 0]])
    result = classify(net, X, cued=[0, 0, -1, -1, -1, 0])
    assert result.labels.tolist() == ["cued memory", "other memory", "other memory", "quiescent", "none", "none"]
    assert result.memory.tolist() == [0, 1, 2, -1, -1, -1]
    assert result.counts()["other memory"] == 2 and "tol 0.15" in result.summary()
    all_on = uniform_states(positive_gamma_network)[-1]
    assert all_on.kind == "all-on"
    assert classify(positive_gamma_network, np.full(1000, all_on.rate)).labels.tolist() == ["all-on"]


def test_classify_rejects_bad_input(random_network):
    with pytest.raises(ValueError, match="`tol` must be < 0.5"):
        classify(random_network, np.zeros(1000), tol=0.6)
    with pytest.raises(ValueError, match="`cued` entries must be in"):
        classify(random_network, np.zeros(1000), cued=20)


# --- the reference experiment (DESIGN.md §7) ----------------------------------------------------


def test_reference_negative_gamma_retrieves_every_cued_memory(random_network, negative_gamma_run):
    """a = -0.3: every cue ends at its memory; overlaps at the ideal values.

    Tolerances: cued overlap within 1e-3 of phi(b); other overlaps within 0.05 of the pair's
    ideal (1 - r) phi(a) + r phi(b), within 0.1 of (1 - q) phi(a) + q phi(b), and 0.01 on average.
    """
    net = random_network
    cues, result = negative_gamma_run
    assert net.gamma < 0
    assert result.success_rate == 1.0
    assert result.class_counts() == {"cued memory": 56, "other memory": 0, "quiescent": 0, "all-on": 0, "none": 0}
    np.testing.assert_allclose(result.overlap_cued, result.ideal_cued, atol=1e-3)
    final = result.final_overlaps
    others = np.ones_like(final, dtype=bool)
    others[cues.cued, np.arange(cues.n_cues)] = False
    ideal_pairs = ideal_overlaps(net)[cues.cued].T
    assert np.max(np.abs(final - ideal_pairs)[others]) < 0.05
    assert np.max(np.abs(final[others] - result.ideal_other)) < 0.1
    assert abs(result.mean_overlap_other - result.ideal_other) < 0.01
    assert result.ideal_other == pytest.approx(0.8 * net.activation.phi(-0.3) + 0.2 * net.activation.phi(0.95))
    assert np.all(np.isfinite(result.time_to_converge)) and np.all(result.time_to_converge < 5.0)


def test_reference_positive_gamma_runs_to_all_on(random_network, positive_gamma_network):
    """a = 0.1: no cue is retrieved; the network runs to the all-on state.

    At t = 10 most trajectories (at least 80 %) are all-on and the rest still climbing towards it;
    by t = 20 every one is.
    """
    net = positive_gamma_network
    assert net.gamma > 0
    cues = make_cues(net, "delete", 0.4, trials=4, seed=1)
    result = retrieve(net, cues, t_max=20.0)
    at_10 = result.labels_at(10.0)
    assert not np.any(at_10 == "cued memory") and not np.any(at_10 == "other memory")
    assert np.mean(at_10 == "all-on") >= 0.8
    assert result.class_counts()["all-on"] == cues.n_cues and result.success_rate == 0.0
    all_on = uniform_states(net)[-1].rate
    np.testing.assert_allclose(result.mean_rate[-1], all_on, atol=1e-3)


def test_reference_nonstored_cues_decay_to_quiescent(random_network):
    net = random_network
    result = retrieve(net, nonstored_cues(net, 16, seed=5))
    assert result.class_counts()["quiescent"] == 16
    assert np.isnan(result.success_rate) and np.all(np.isnan(result.overlap_cued))
    quiescent = uniform_states(net)[0].rate
    np.testing.assert_allclose(result.mean_rate[-1], quiescent, atol=1e-3)


def test_noisy_retrieval_is_reproducible(random_network):
    cues = make_cues(random_network, "delete", 0.4, trials=2, seed=3)
    first = retrieve(random_network, cues, sigma=0.1, seed=9)
    again = retrieve(random_network, cues, sigma=0.1, seed=9)
    np.testing.assert_array_equal(first.overlaps, again.overlaps)
    assert first.success_rate == 1.0
    assert first.mean_overlap_cued == pytest.approx(first.ideal_cued, abs=0.1)  # reflection at 1 lowers it a bit


def test_input_cues_retrieve_from_the_quiescent_state(random_network):
    strong = retrieve(random_network, make_cues(random_network, "input", 0.3, duration=1.0, seed=0))
    weak = retrieve(random_network, make_cues(random_network, "input", 0.1, duration=1.0, seed=0))
    assert strong.success_rate == 1.0
    assert weak.class_counts()["quiescent"] == random_network.n_patterns


def test_retrieval_result_record_and_summary(negative_gamma_run):
    _, result = negative_gamma_run
    record = result.to_record()
    json.dumps(record)
    assert {"success_rate", "mean_overlap_cued", "mean_overlap_other", "classes"} <= set(record)
    assert record["classes"]["cued memory"] == 56 and sum(record["classes"].values()) == 56
    text = result.summary()
    assert "success rate        1.000" in text and "ideal phi(b)" in text
    assert result.overlaps.shape == (101, 14, 56) and result.frame_labels.shape == (101, 56)
    assert not result.overlaps.flags.writeable
    assert "RetrievalResult" in repr(result)


def test_retrieve_rejects_bad_input(random_network, equal_overlap_network):
    with pytest.raises(TypeError, match="`cues` must be a CueSet"):
        retrieve(random_network, np.zeros((1000, 2)))
    cues = make_cues(random_network, "delete", 0.4, seed=0)
    with pytest.raises(ValueError, match="beyond the network"):
        retrieve(equal_overlap_network, cues)
    with pytest.raises(ValueError, match="`t_max` must be > 0"):
        retrieve(random_network, cues, t_max=0.0)
    bad = CueSet(x0=np.zeros((10, 1)), cued=np.array([0]), u=None, kind="delete", level=0.1)
    with pytest.raises(ValueError, match="1000 units"):
        retrieve(random_network, bad)


# --- basins and capacity ------------------------------------------------------------------------


def test_basin_profile_falls_from_one_to_zero(random_network):
    profile = basin_profile(random_network, 3, [0.0, 0.4, 0.95], trials=4, seed=0)
    np.testing.assert_array_equal(profile.probability, [1.0, 1.0, 0.0])
    assert profile.edge(0.5) == 0.4
    assert profile.class_counts[2, profile.classes.index("quiescent")] == 4
    assert profile.n_cues.tolist() == [4, 4, 4]
    assert "P(retrieve)" in profile.summary()
    flipped = basin_profile(random_network, None, [0.05], trials=1, seed=0, kind="flip")
    assert flipped.memory is None and flipped.n_cues.tolist() == [14] and flipped.probability[0] == 1.0
    with pytest.raises(ValueError, match="`kind` must be one of"):
        basin_profile(random_network, 0, [0.1], 1, kind="input")


def test_capacity_curve_success_then_failure():
    calls = []
    curve = capacity_curve(
        250, [0.02, 0.3], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), trials=1, seed=0,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 2), (2, 2)]
    assert curve.n_patterns.tolist() == [5, 75]
    assert curve.success_rate[0] == 1.0 and curve.success_rate[1] < 0.5
    assert np.all(curve.success_rate <= np.minimum(curve.stable_rate, curve.retrieval_rate))
    assert np.all(curve.stable_rate <= curve.equilibrium_rate)
    assert curve.max_eigenvalue[0] < 0
    assert curve.capacity(0.9) == pytest.approx(0.02)
    json.dumps(curve.to_record())
    assert "all three" in curve.summary()


def test_capacity_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="`loads` must be"):
        capacity_curve(100, [0.0], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 1)
    with pytest.raises(ValueError, match="`cue`"):
        capacity_curve(100, [0.1], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 1, cue="erase:1")


# --- letters ---------------------------------------------------------------------------------


def test_letter_patterns_shipped_and_padded():
    bare = letter_patterns()
    assert bare.shape == (12, 10) and bare.patterns.shape == (120, len(bare.letters)) and len(bare.letters) >= 8
    padded = letter_patterns("TXO", padding=380, seed=0)
    assert padded.patterns.shape == (500, 3)
    np.testing.assert_array_equal(padded.image(padded.patterns[:, 0]), bare.image(bare.patterns[:, bare.letters.index("T")]))
    with pytest.raises(ValueError, match="`letters` must be"):
        letter_patterns("a")


def test_padded_letters_are_retrieved_and_bare_letters_are_not():
    """Bare bitmaps overlap too much for the design; random padding makes them retrievable."""
    padded = letter_patterns("AEKOSTXZ", padding=400, seed=0)
    net = design_quietly(padded.patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    result = retrieve(net, make_cues(net, "delete", 0.4, seed=2))
    assert result.success_rate == 1.0
    bare = letter_patterns("AEKOSTXZ")
    bare_net = design_quietly(bare.patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    assert retrieve(bare_net, make_cues(bare_net, "delete", 0.4, seed=2)).success_rate < 0.5


def test_outcome_values_are_the_class_names():
    assert [o.value for o in Outcome] == ["cued memory", "other memory", "quiescent", "all-on", "none"]


def test_capacity_stability_uses_the_local_stability_verdict(monkeypatch):
    """Regression: the capacity check decided "stable" with a bare max_eigenvalue < 0, so it could
    disagree with assocrate.stability.local inside the undecided band."""
    import assocrate.stability.local as local
    from assocrate.retrieval import DEFAULT_TOL, _check_memories

    network = design_quietly(random_patterns(300, 5, 0.2, seed=7), REFERENCE_SIGMOID, -0.3, 0.95)
    check = _check_memories(network, DEFAULT_TOL)
    verdicts = local.local_stability(network).verdicts
    assert check.equilibrium.all()
    assert list(check.stable) == [v is local.Verdict.STABLE for v in verdicts] == [True] * 5
    np.testing.assert_allclose(check.max_eigenvalue, local.local_stability(network).max_eigenvalues, atol=1e-9)
    # widen the undecided band past every eigenvalue: both modules must now refuse "stable"
    monkeypatch.setattr(local, "VERDICT_RTOL", 10.0)
    assert set(local.local_stability(network).verdicts) == {local.Verdict.UNDECIDED}
    assert not _check_memories(network, DEFAULT_TOL).stable.any()
