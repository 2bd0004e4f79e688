"""Retrieval runs and basins of attraction (assocrate.retrieval.retrieve, theory.md §7).

The reference experiment: N = 1000, q = 0.2, P = 14 random patterns, sigmoid rho = 4.8,
threshold = 0.2, tau = 1, dt = 0.01, t in [0, 10], cues keep 60 % of the active units.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.core.equilibria import uniform_states
from assocrate.retrieval import CueSet, basin_profile, ideal_overlaps, make_cues, nonstored_cues, overlaps, retrieve


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
    assert first.boundary == "none"
    assert first.mean_overlap_cued == pytest.approx(first.ideal_cued, abs=0.1)


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


def test_nq_overlaps_are_x_dot_xi_over_n_q_by_hand(random_network):
    """normalize="nq": the recorded overlaps are x . xi / (N q) of the same states (the authors'
    figure); the classification is that of the default normalisation."""
    net = random_network
    cues = make_cues(net, "delete", 0.4, seed=3)
    nq = retrieve(net, cues, n_steps=200, normalize="nq")
    own = retrieve(net, cues, n_steps=200)
    by_hand = net.patterns.T @ nq.final_states / (net.n_units * net.q)
    np.testing.assert_allclose(nq.final_overlaps, by_hand, rtol=1e-13, atol=0)
    np.testing.assert_allclose(overlaps(nq.final_states, net.patterns, normalize="nq", q=net.q), by_hand, rtol=1e-13)
    np.testing.assert_allclose(own.final_overlaps, net.patterns.T @ own.final_states / net.patterns.sum(axis=0)[:, None],
                               rtol=1e-13)
    np.testing.assert_array_equal(nq.labels, own.labels)
    assert (nq.normalize, own.normalize) == ("nq", "pattern")
    assert nq.to_record()["normalize"] == "nq" and "x . xi^nu / (N q)" in nq.summary()
    assert not np.allclose(nq.final_overlaps, own.final_overlaps)  # random pattern sizes differ from N q


def test_overlaps_normalize_is_used_or_refused(random_network):
    xi = random_network.patterns
    x = random_network.memory_rates()
    np.testing.assert_allclose(overlaps(x, xi, normalize="nq"), xi.T @ x / (xi.sum() / xi.shape[1]), rtol=1e-13)
    with pytest.raises(ValueError, match="`q` is used only with normalize='nq'"):
        overlaps(x, xi, normalize="pattern", q=0.2)
    with pytest.raises(ValueError, match="`normalize` must be one of"):
        overlaps(x, xi, normalize="N")


def test_time_grid_is_explicit(random_network):
    """t_max = 10, dt = 0.01 is 1000 steps on t = 0, ..., 10; the authors' 1000 points t = 0, ..., 9.99 are n_steps=999."""
    cues = make_cues(random_network, "delete", 0.4, seed=3, memories=[0])
    default = retrieve(random_network, cues)
    paper = retrieve(random_network, cues, n_steps=999, record_every=1)
    assert default.n_steps == 1000 and default.times[-1] == pytest.approx(10.0)
    assert paper.n_steps == 999 and paper.times.size == 1000
    np.testing.assert_allclose(paper.times, 0.01 * np.arange(1000), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="not both"):
        retrieve(random_network, cues, t_max=10.0, n_steps=999)


def test_progress_is_reported_at_every_recorded_step_and_changes_nothing(random_network):
    from assocrate.retrieval import make_cues, retrieve

    cues = make_cues(random_network, "delete", 0.4, seed=2, memories=[0, 1])
    calls = []
    with_progress = retrieve(random_network, cues, n_steps=95, record_every=10, sigma=0.05, seed=3,
                             progress=lambda done, total: calls.append((done, total)))
    plain = retrieve(random_network, cues, n_steps=95, record_every=10, sigma=0.05, seed=3)
    assert calls == [(k, 95) for k in range(0, 95, 10)] + [(95, 95)]
    assert with_progress.to_record() == plain.to_record()
    with pytest.raises(TypeError, match="`progress` must be a callable"):
        retrieve(random_network, cues, n_steps=5, progress="yes")
