"""Issue 18 on real patterns: scikit-learn's 8 x 8 digit prototypes under both rules (theory.md §3, examples/digits.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import assocrate as aa

pytest.importorskip("sklearn")

SIGMOID = aa.Sigmoid(4.8, 0.2)


def _example():
    path = Path(__file__).resolve().parents[1] / "examples" / "digits.py"
    spec = importlib.util.spec_from_file_location("digits_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("digits_example", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def digits():
    xi = aa.digit_prototypes()
    return xi, aa.design(xi, SIGMOID, -0.3, 0.95, rule="projection")


def test_prototypes_are_the_issue_set(digits):
    xi, _ = digits
    assert xi.shape == (64, 10)
    assert xi.sum(axis=0).tolist() == [19, 18, 20, 18, 17, 17, 21, 18, 21, 18]
    d = aa.diagnose_patterns(xi, SIGMOID, -0.3, 0.95)
    assert d.gamma == pytest.approx(1.581, abs=1e-3) and not d.betteti_exact.any()
    assert d.recommended_rule == "projection"


def test_every_memory_exact_and_stable(digits):
    xi, net = digits
    assert float(np.max(aa.equilibrium_residual(net))) <= 1e-12
    stability = aa.local_stability(net)
    assert stability.n_stable == 10 and float(np.max(stability.max_eigenvalues)) < -0.99


def test_every_memory_has_an_exactly_verified_radius(digits):
    _, net = digits
    for mu in range(10):
        result = aa.certified_radius(net, mu)
        assert result.certified and result.radius > 0.39
        assert aa.verify(result.certificate, net).verified


#: (flip level, issue 18's threshold for the projection rule, its recall and the pseudo-inverse
#: baseline's on the 200 cues of seed 7): exact counts out of 200.
RECALL = ((0.1, 0.95, 199, 199), (0.2, 0.80, 165, 165), (0.3, 0.45, 106, 94))


@pytest.mark.parametrize(("level", "threshold", "projection", "baseline"), RECALL)
def test_recall_beats_the_issue_thresholds(digits, level, threshold, projection, baseline):
    xi, net = digits
    example = _example()
    cues = aa.make_cues(net, "flip", level, trials=20, seed=7)
    rate = aa.retrieve(net, cues, seed=0).success_rate
    assert rate >= threshold and rate == projection / 200
    # the baselines run on the very same binary cues
    binary = example.binary_cues(net, cues)
    assert np.mean(binary != xi[:, np.asarray(cues.cued)]) == pytest.approx(round(level * 64) / 64)
    assert example.pseudo_inverse(xi, binary, np.asarray(cues.cued)) == baseline / 200


def test_pseudo_inverse_baseline_keeps_every_prototype():
    """A fair baseline: W = S S^+ with a zero diagonal keeps every +-1 prototype as a fixed point."""
    xi = aa.digit_prototypes()
    assert _example().pseudo_inverse(xi, xi, np.arange(10)) == 1.0


def test_betteti_rule_numbers_are_unchanged_on_digits(digits):
    xi, _ = digits
    with pytest.warns(UserWarning, match="unequal"):
        net = aa.design(xi, SIGMOID, -0.3, 0.95)
    assert net.gamma == pytest.approx(1.581, abs=1e-3)
    assert aa.local_stability(net).n_stable == 2
