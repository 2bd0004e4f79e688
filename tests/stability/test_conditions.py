"""stability.conditions: the closed form against the reduction, the paper's conditions against the spectrum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.stability import Verdict, closed_form_spectrum, conditions, jacobian_spectrum, local_stability

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly
from .dense import STABLE_TANH

CLOSED_FORM_CASES = [
    (equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95),
    (equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, 0.1, 0.95),
    (equal_overlap_patterns(1000, 0.2), REFERENCE_TANH, -0.3, 0.95),
    (equal_overlap_patterns(1000, 0.2), STABLE_TANH, 0.4, 0.95),
    (equal_overlap_patterns(1000, 0.3), Sigmoid(1.5, 0.4), -0.5, 1.2),
    (equal_overlap_patterns(800, 0.25), Sigmoid(0.7, 0.1), 0.2, 0.6),
    (equal_overlap_patterns(400, 0.5), RectifiedTanh(2.0, 0.0), 0.3, 0.9),
]


@pytest.mark.parametrize("case", range(len(CLOSED_FORM_CASES)))
def test_closed_form_equals_reduction(case):
    patterns, activation, a, b = CLOSED_FORM_CASES[case]
    network = design(patterns, activation, a, b)
    for mu in (0, network.n_patterns - 1):
        closed = closed_form_spectrum(network, mu)
        reduced = jacobian_spectrum(network, mu)
        np.testing.assert_allclose(closed.spectrum.dense(), reduced.spectrum.dense(), rtol=0, atol=1e-10)
        assert closed.verdict == reduced.verdict


@pytest.mark.parametrize(
    "patterns, message",
    [
        (random_patterns(500, 5, 0.2, seed=0), "not the equal-overlap construction"),
        (correlated_patterns(1000, 5, 0.2, 0.4, seed=3), "differs from the activity"),
        (equal_overlap_patterns(1001, 0.2), "differs from the activity"),
    ],
)
def test_closed_form_refuses_other_patterns(patterns, message):
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    with pytest.raises(ValueError, match=message):
        closed_form_spectrum(network, 0)


def test_closed_form_refuses_nominal_q_r():
    network = design(equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95, q=0.21, r=0.2)
    with pytest.raises(ValueError, match="designed with q=0.21"):
        closed_form_spectrum(network, 0)


# The conditions against the exact spectrum, on the equal-overlap design (N = 200: q^2 N, q N integers).
SMALL_PATTERNS = equal_overlap_patterns(200, 0.2)


@given(
    rho=st.floats(0.2, 6.0),
    threshold=st.floats(0.0, 0.9),
    a=st.floats(-1.0, 0.6),
    gap=st.floats(0.05, 1.5),
    tanh=st.booleans(),
)
def test_conditions_agree_with_the_spectrum(rho, threshold, a, gap, tanh):
    activation = RectifiedTanh(rho, threshold) if tanh else Sigmoid(rho, threshold)
    b = a + gap
    assume(float(activation.phi(b)) > float(activation.phi(a)) + 1e-9)
    network = design(SMALL_PATTERNS, activation, a, b)
    found = conditions(network)
    assert found.instability_proven
    result = local_stability(network)
    tolerance = result.memories[0].spectrum.tolerance
    if found.sufficient_holds:
        # lambda_max(D^1/2 W D^1/2) <= eta max(lambda_max(W), 0): a bound, not only the sign
        assert np.all(result.max_eigenvalues <= -1.0 + found.sufficient_value + tolerance)
        assert Verdict.UNSTABLE not in result.verdicts
    if found.instability_holds:
        assert np.any(result.max_eigenvalues > -tolerance)
        assert Verdict.STABLE not in result.verdicts


def test_conditions_reference_values(equal_overlap_network, positive_gamma_network):
    negative = conditions(equal_overlap_network)
    assert negative.eta == pytest.approx(1.760e-4, rel=1e-3)
    assert negative.lambda_max_W == pytest.approx(negative.alpha, rel=1e-12)
    assert negative.sufficient_value == pytest.approx(negative.eta * negative.alpha, rel=1e-12)
    positive = conditions(positive_gamma_network)
    assert positive.lambda_max_W == pytest.approx(positive.gamma, rel=1e-12)
    assert positive.eta == pytest.approx(0.3663, rel=1e-3)


def test_random_patterns_use_lambda_max_of_W(random_network):
    found = conditions(random_network)
    assert not found.instability_proven
    assert found.lambda_max_W > found.alpha  # cross-talk of random patterns raises the top eigenvalue
    dense_top = np.linalg.eigvalsh(random_network.dense_weights())[-1]
    assert found.lambda_max_W == pytest.approx(dense_top, abs=1e-10)


def test_sufficient_condition_does_not_apply_to_an_approximate_design():
    """Regression: "sufficient ... holds" was printed for designed memories that are not equilibria."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    found = conditions(network)
    assert found.sufficient_holds and not found.applies
    assert "not equilibria of this approximate design" in found.summary()
    assert "every designed memory is locally exponentially stable" not in found.summary()
    exact = conditions(design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95))
    assert exact.applies and "holds: every designed memory is locally exponentially stable" in exact.summary()
