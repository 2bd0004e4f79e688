"""Non-symmetric (projection-rule) reduction against dense linear algebra (theory.md §3, §4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assocrate as aa
from assocrate.stability.general import (
    GeneralLocalStability,
    general_local_stability,
    reduced_jacobian_eigenvalues,
    reduced_weight_eigenvalues,
)

from ..reference import unequal_patterns

SIGMOID = aa.Sigmoid(4.8, 0.2)
_HYPOTHESIS = settings(derandomize=True, max_examples=30, deadline=None)



def dense_jacobian_eigenvalues(net, mu):
    """``eigvals((-I + D W)/tau)`` at the designed memory mu, formed densely."""
    h = net.memory_currents()[:, mu]
    D = net.activation.dphi(h)
    J = (-np.eye(net.n_units) + D[:, None] * net.dense_weights()) / net.tau
    return np.linalg.eigvals(J)


def assert_same_spectrum(reduced_full, dense, atol):
    """Compare two complex spectra as multisets (greedy nearest matching)."""
    remaining = list(dense)
    for value in reduced_full:
        j = int(np.argmin(np.abs(np.asarray(remaining) - value)))
        assert abs(remaining[j] - value) <= atol, (value, remaining[j])
        remaining.pop(j)


@pytest.mark.parametrize(("n_units", "n_patterns", "seed"), [(60, 6, 0), (200, 10, 1), (500, 12, 2)])
def test_reduced_jacobian_equals_dense_eigvals(n_units, n_patterns, seed):
    net = aa.design(unequal_patterns(n_units, n_patterns, seed), SIGMOID, -0.3, 0.95, rule="projection", tau=2.0)
    assert not net.is_symmetric
    result = general_local_stability(net)
    for mu in (0, n_patterns - 1):
        dense = dense_jacobian_eigenvalues(net, mu)
        reduced = result.memories[mu].eigenvalues
        full = np.concatenate([reduced, np.full(n_units - reduced.size, -1.0 / net.tau)])
        # eigvals of an N x N non-normal matrix: backward stable, error ~ N eps ||J|| / separation
        assert_same_spectrum(full, dense, atol=1e-9)
        assert result.memories[mu].max_real == pytest.approx(float(np.max(dense.real)), abs=1e-9)


@_HYPOTHESIS
@given(seed=st.integers(0, 2**31 - 1), n_patterns=st.integers(2, 7), a=st.floats(-0.5, 0.2))
def test_reduction_property_unequal_activities(seed, n_patterns, a):
    xi = unequal_patterns(40, n_patterns, seed)
    try:
        net = aa.design(xi, SIGMOID, a, 0.95, rule="projection")
    except aa.InvalidInput:  # dependent patterns
        return
    W = net.dense_weights()
    dense_w = np.linalg.eigvals(W)
    reduced_w = reduced_weight_eigenvalues(net)
    full_w = np.concatenate([reduced_w, np.zeros(40 - reduced_w.size)])
    assert_same_spectrum(full_w, dense_w, atol=1e-8 * max(1.0, np.abs(dense_w).max()))
    h = net.memory_currents()[:, 0]
    slopes = SIGMOID.dphi(h)
    lam = reduced_jacobian_eigenvalues(net, slopes)
    dense_j = np.linalg.eigvals(slopes[:, None] * W)
    full_j = np.concatenate([lam, np.zeros(40 - lam.size)])
    assert_same_spectrum(full_j, dense_j, atol=1e-8 * max(1.0, np.abs(dense_j).max()))


def test_symmetric_projection_has_real_spectra_equal_to_dense():
    net = aa.design(aa.equal_overlap_patterns(100, 0.2), SIGMOID, -0.3, 0.95, rule="projection")
    result = aa.local_stability(net)
    assert isinstance(result, GeneralLocalStability) and result.symmetric
    for m in result.memories:
        assert np.isrealobj(m.eigenvalues)
        dense = np.sort(dense_jacobian_eigenvalues(net, m.index).real)
        assert m.max_real == pytest.approx(dense[-1], abs=1e-10)


def test_local_stability_dispatches_and_says_conditions_do_not_apply():
    net = aa.design(unequal_patterns(80, 5, 3), SIGMOID, -0.3, 0.95, rule="projection")
    result = aa.local_stability(net)
    assert isinstance(result, GeneralLocalStability)
    assert result.n_stable == 5
    assert np.all(result.max_eigenvalues < 0)
    text = result.summary()
    assert "do not apply to the projection rule" in text and "non-symmetric" in text
    with pytest.raises(aa.InvalidInput, match="rule='betteti' only"):
        aa.uniform_states(net)


def test_newton_converges_for_a_non_symmetric_w():
    net = aa.design(unequal_patterns(120, 6, 4), SIGMOID, -0.3, 0.95, rule="projection")
    x0 = net.memory_rates()[:, 2]
    start = np.clip(x0 + 0.02 * np.random.default_rng(0).standard_normal(120), 0, 1)
    result = aa.refine_equilibrium(net, start)
    assert result.success
    np.testing.assert_allclose(result.x, x0, atol=1e-9)


def test_record_and_cli_check(tmp_path, capsys):
    import json

    from assocrate.cli import main

    net = aa.design(unequal_patterns(80, 5, 5), SIGMOID, -0.3, 0.95, rule="projection")
    record = general_local_stability(net).to_record()
    assert record["n_stable"] == 5 and record["symmetric"] is False and len(record["memories"]) == 5
    aa.save_network(tmp_path / "net.npz", net)
    assert main(["check", str(tmp_path / "net.npz"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rule"] == "projection" and out["n_stable"] == 5
    assert aa.dale_realization(net).signs().obeys_dale  # the Dale realization follows W = L C R^T (tests/dale)


def test_real_spectrum_entry_points_refuse_a_nonsymmetric_w_saying_why():
    """jacobian_spectrum (a real JacobianSpectrum) and conditions (the paper's, on alpha and gamma)
    refuse a non-symmetric W naming themselves, the reason and local_stability as the way on."""
    net = aa.design(unequal_patterns(60, 4, 1), SIGMOID, -0.3, 0.95, rule="projection")
    with pytest.raises(aa.InvalidInput, match=r"jacobian_spectrum returns a real spectrum.*complex.*use local_stability"):
        aa.jacobian_spectrum(net, 0)
    with pytest.raises(aa.InvalidInput, match=r"conditions are the paper's .*non-symmetric W.*use local_stability"):
        aa.stability.conditions(net)


@pytest.mark.parametrize(("a", "certified"), [(-0.3, True), (0.3, False)])
def test_cli_check_certify_on_a_non_symmetric_w(tmp_path, capsys, a, certified):
    """``check --certify``: Lyapunov certificates (Theorem L) for the stable memories, check's verdict for the others."""
    import json

    from assocrate.cli import main

    net = aa.design(unequal_patterns(60, 5, 3), SIGMOID, a, 0.95, rule="projection")
    aa.save_network(tmp_path / "net.npz", net)
    assert main(["check", str(tmp_path / "net.npz"), "--certify", "--json"]) == 0
    memories = json.loads(capsys.readouterr().out)["memories"]
    assert [m["certified"] for m in memories] == [certified] * 5
    assert all(m["certified"] == m["stable"] for m in memories)
    if not certified:
        assert memories[0]["certificate"] == "no certificate: check's verdict is unstable"
