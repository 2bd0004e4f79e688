"""assocrate.core.diagnosis: which rule a pattern set needs (theory.md §3)."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.core.diagnosis import EXACT_RTOL, diagnose_patterns

SIGMOID = aa.Sigmoid(4.8, 0.2)


def test_equal_overlap_set_needs_nothing():
    d = diagnose_patterns(aa.equal_overlap_patterns(1000, 0.2), SIGMOID, -0.3, 0.95)
    assert d.recommended_rule == "betteti" and d.betteti_exact.all() and d.projection_exact.all()
    assert d.equal_activities and d.projection_symmetric
    assert d.gamma == pytest.approx(-0.249992, abs=1e-6)
    assert "none needed" in d.remedy


def test_unequal_set_recommends_projection_and_predicts_gamma_sign():
    xi = aa.random_patterns(300, 6, 0.2, seed=0)
    for a in (-0.3, 0.1):
        d = diagnose_patterns(xi, SIGMOID, a, 0.95)
        assert d.recommended_rule == "projection" and not d.betteti_exact.any() and d.projection_exact.all()
        net = aa.design(xi, SIGMOID, a, 0.95, q=d.q, r=d.r)  # the betteti rule at the measured q, r
        assert d.gamma == net.gamma
        # gamma < 0 iff a < -beta b / (1 - beta) (theory.md §3, E/I balance)
        assert (d.gamma < 0) == (a < d.balance_bound)
        assert np.isclose(d.balance_bound, -d.beta * 0.95 / (1 - d.beta))
    assert "not symmetric" in d.remedy and "a below" not in d.remedy
    stats = aa.pattern_statistics(xi)
    assert d.q == stats.q and d.r == stats.r
    np.testing.assert_array_equal(d.activities, xi.sum(axis=0))
    assert d.tolerance == EXACT_RTOL * 1.0


def test_dependent_patterns_have_no_exact_rule():
    xi = aa.random_patterns(100, 3, 0.3, seed=1)
    d = diagnose_patterns(np.column_stack([xi, xi[:, 0]]), SIGMOID, -0.3, 0.95)
    assert d.recommended_rule == "none" and np.isnan(d.projection_residuals).all()
    assert "linearly dependent" in d.remedy
    assert d.to_record()["projection_residuals"] == [None] * 4


def test_summary_and_bad_input():
    d = diagnose_patterns(aa.random_patterns(200, 4, 0.2, seed=2), SIGMOID, -0.3, 0.95)
    text = d.summary()
    assert "activities" in text and "gamma < 0 iff a <" in text and "remedy" in text
    assert "recommended_rule='projection'" in repr(d)
    with pytest.raises(aa.InvalidInput, match="`a` must be < `b`"):
        diagnose_patterns(aa.random_patterns(50, 2, 0.2, seed=0), SIGMOID, 1.0, 0.5)
