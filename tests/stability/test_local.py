"""stability.local: every memory at once (table, record, agreement with single spectra) and the entry points' argument checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns
from assocrate.stability import Verdict, conditions, jacobian_spectrum, local_stability, lyapunov_certificate

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


def test_local_stability_table_and_record(positive_gamma_network):
    result = local_stability(positive_gamma_network)
    assert result.all_stable and result.n_stable == 6
    text = result.summary()
    assert "6 of 6 memories stable" in text and "all-on" in text and "intermediate" in text
    record = json.loads(json.dumps(result.to_record()))
    assert [m["index"] for m in record["memories"]] == list(range(6))
    assert all(m["stable"] and m["sufficient_holds"] for m in record["memories"])
    assert [s["kind"] for s in record["uniform_states"]] == ["quiescent", "intermediate", "all-on"]
    first = result.memories[0]
    assert first.slowest_time_constant == pytest.approx(1.0 / -first.max_eigenvalue)
    assert "n_stable=6" in repr(result)


def test_local_stability_matches_single_spectra(random_network):
    result = local_stability(random_network, at="ideal")
    for mu in (0, 7):
        single = jacobian_spectrum(random_network, mu, at="ideal")
        np.testing.assert_allclose(result.memories[mu].spectrum.reduced, single.reduced, atol=1e-12)
    refined = local_stability(random_network)
    assert refined.all_stable
    assert {m.spectrum.equilibrium_status for m in refined.memories} == {"converged"}


def test_unstable_memories_are_reported():
    network = design(equal_overlap_patterns(500, 0.2), REFERENCE_TANH, -0.3, 0.95)
    result = local_stability(network)
    assert result.n_stable == 0 and set(result.verdicts) == {Verdict.UNSTABLE}
    assert "grows" in result.summary()
    assert result.memories[0].slowest_time_constant < 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net: jacobian_spectrum(net, 6), r"`mu` must be in \[0, 5\]"),
        (lambda net: jacobian_spectrum(net, 0, at="fixed"), "`at` must be one of"),
        (lambda net: jacobian_spectrum(net, 0, form="voltage"), "`form` must be one of"),
        (lambda net: lyapunov_certificate(net, 0, method="sdp"), "`method` must be one of"),
    ],
)
def test_invalid_arguments_are_named(equal_overlap_network, call, message):
    with pytest.raises(ValueError, match=message):
        call(equal_overlap_network)


def test_a_choice_of_the_wrong_type_is_a_type_error(equal_overlap_network):
    with pytest.raises(TypeError, match=r"`at` must be one of \['equilibrium', 'ideal'\]; got None of type NoneType"):
        local_stability(equal_overlap_network, at=None)


def test_network_type_is_checked():
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        conditions(np.eye(3))


def test_ideal_point_that_is_not_an_equilibrium_is_undecided_and_refused():
    """Regression: at="ideal" on an approximate design called non-equilibria "stable" and certified them."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    js = jacobian_spectrum(network, 0, at="ideal")
    assert js.equilibrium_residual > 1e-3 and js.max_eigenvalue < 0  # Hurwitz, but not an equilibrium
    assert not js.equilibrium_found and js.verdict is Verdict.UNDECIDED
    result = local_stability(network, at="ideal")
    assert result.n_stable == 0 and set(result.verdicts) == {Verdict.UNDECIDED}
    assert "0 of 14 memories stable" in result.summary() and "not an equilibrium" in result.summary()
    certificate = lyapunov_certificate(network, 0, at="ideal")
    assert not certificate.certified and certificate.parameters["status"] == "refused"
    assert certificate.claim.startswith("refused: memory 0 is undecided: the designed memory is not an equilibrium")


def test_ideal_point_of_an_exact_design_is_unchanged():
    network = design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    js = jacobian_spectrum(network, 0, at="ideal")
    assert js.equilibrium_found and js.verdict is Verdict.STABLE
    assert local_stability(network, at="ideal").all_stable
    assert lyapunov_certificate(network, 0, at="ideal").certified


@pytest.mark.parametrize("at", ["ideal", "equilibrium"])
def test_record_reports_no_spectrum_without_an_equilibrium(at):
    """Regression: to_record gave a max eigenvalue (and time constant) for memories with no equilibrium."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    result = local_stability(network, at=at)
    missing = [m for m in result.memories if not m.spectrum.equilibrium_found]
    assert missing
    record = json.loads(json.dumps(result.to_record()))
    assert record["conditions"]["applies"] is False
    for m in missing:
        row = record["memories"][m.index]
        assert row["max_eigenvalue"] is None and row["slowest_time_constant"] is None
        assert row["stable"] is False and row["equilibrium_found"] is False


def test_a_second_analysis_of_a_network_reuses_what_the_first_derived(random_network):
    """Uniform states, W's spectrum and the design residuals are computed once per network, same numbers."""
    first, second = local_stability(random_network, at="ideal"), local_stability(random_network, at="ideal")
    assert second.uniform_states is first.uniform_states
    assert random_network.eigenvalues_of_weights() is random_network.eigenvalues_of_weights()
    assert second.to_record() == first.to_record()
    single = jacobian_spectrum(random_network, 3, at="ideal")
    assert single.equilibrium_residual == first.memories[3].spectrum.equilibrium_residual
