"""The paper preset reproduces the authors' reference experiment (assocrate.presets, issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.presets import PAPER_LEVELS, paper


@pytest.fixture(scope="module")
def reference():
    """The deterministic reference run: N = 1000, P = 14 random patterns, 40 % deletion cues, seed 0."""
    return paper()


def test_the_authors_settings(reference):
    run = reference
    assert (run.n_units, run.n_patterns, run.q, run.rho, run.threshold) == (1000, 14, 0.2, 4.8, 0.2)
    assert run.n_patterns == int(np.floor(1000 / (10 * np.log(1000))))
    assert (run.n_steps, run.boundary, run.normalize, run.deletion, run.sigma) == (999, "none", "nq", 0.4, 0.0)
    np.testing.assert_allclose(run.times, 0.01 * np.arange(1000), rtol=0, atol=1e-12)  # 1000 points, 999 steps
    assert set(np.unique(run.patterns)) == {0, 1} and abs(run.patterns.mean() - 0.2) < 0.01
    reference_weights = {"negative gamma": (7.812604, -0.249992), "positive gamma": (5.417929, 1.252533)}  # theory.md §3
    for name, network in run.networks.items():
        assert (network.a, network.b) == PAPER_LEVELS[name] and (network.q, network.r) == (0.2, 0.2)
        assert (network.alpha_prime, network.gamma) == pytest.approx(reference_weights[name], abs=1e-6)
        np.testing.assert_array_equal(network.patterns, run.patterns)
    cues = {name: result.cued for name, result in run.results.items()}
    np.testing.assert_array_equal(cues["negative gamma"], np.arange(14))
    np.testing.assert_array_equal(cues["positive gamma"], np.arange(14))


def test_the_reference_run_reports_its_overlaps(reference):
    """Mean cued / other overlaps x . xi / (N q) at t = 9.99 (pinned; recomputed by hand from the final states)."""
    run = reference
    expected = {"negative gamma": (0.993541, 0.197431, 1.0), "positive gamma": (0.993552, 0.901118, 1 / 14)}
    for name, (cued, other, success) in expected.items():
        result = run.results[name]
        m = run.patterns.T @ result.final_states / (1000 * 0.2)
        by_hand_cued = m[np.arange(14), np.arange(14)].mean()
        by_hand_other = m[~np.eye(14, dtype=bool)].mean()
        assert result.mean_overlap_cued == pytest.approx(by_hand_cued, rel=1e-13)
        assert result.mean_overlap_other == pytest.approx(by_hand_other, rel=1e-13)
        row = run.overlap_table()[name]
        assert (row["overlap_cued"], row["overlap_other"]) == pytest.approx((cued, other), abs=1e-6)
        assert row["success_rate"] == pytest.approx(success)
    assert run.results["positive gamma"].class_counts()["all-on"] == 12
    assert "999 Euler steps" in run.summary() and "x . xi^nu / (N q)" in run.summary()


def test_reflection_bias_beside_the_papers_model():
    """sigma = 0.1: no boundary leaves the inactive units at phi(a) (within 3 sigma / sqrt(n)); reflection
    raises them by ~0.056 and lowers the cued overlap by ~0.06 (issue 16)."""
    sigma = 0.1
    none = paper(sigma=sigma, trials=2)
    reflect = paper(sigma=sigma, trials=2, boundary="reflect")
    n = int(np.sum(none.patterns[:, none.results["negative gamma"].cued] == 0))
    assert abs(none.inactive_rate_bias("negative gamma")) < 3 * sigma / np.sqrt(n)
    assert reflect.inactive_rate_bias("negative gamma") == pytest.approx(0.056, abs=0.003)
    drop = none.results["negative gamma"].mean_overlap_cued - reflect.results["negative gamma"].mean_overlap_cued
    rise = reflect.results["negative gamma"].mean_overlap_other - none.results["negative gamma"].mean_overlap_other
    assert drop == pytest.approx(0.056, abs=0.01) and rise == pytest.approx(0.6 * 0.056, abs=0.01)


def test_top_level_and_bad_input():
    assert aa.paper is paper
    with pytest.raises(ValueError, match="`boundary` must be one of"):
        paper(boundary="wrap")
    with pytest.raises(ValueError, match="`normalize` must be one of"):
        paper(normalize="N")
    with pytest.raises(ValueError, match="`n_points` must be"):
        paper(n_points=1)
