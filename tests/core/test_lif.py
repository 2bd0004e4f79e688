"""LIFTransfer: the Siegert formula as an activation (no Brian2 needed): kernels, registry, design, files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erfcx

from assocrate.core.activations import activation_from_name, activation_record
from assocrate.core.equilibria import equilibrium_residual, uniform_states
from assocrate.core.lif import LIFTransfer
from assocrate.errors import InvalidInput
from assocrate.io import load_network, save_network
from assocrate.stability import local_stability

from ..reference import REFERENCE_LIF

LEVELS = np.array([-1.0, 0.0, 0.5, 0.9, 1.0, 1.1, 1.5, 2.5, 4.0, 10.0, 100.0])


def siegert_quad(f: LIFTransfer, h: float) -> float:
    """The textbook formula, integrated by adaptive quadrature."""
    integral = quad(lambda x: erfcx(-x), (f.reset - h) / f.sigma, (f.threshold - h) / f.sigma,
                    limit=200, epsabs=0.0, epsrel=1e-12)[0]
    return f.t_ref / (f.t_ref + f.tau_m * math.sqrt(math.pi) * integral)


@pytest.mark.parametrize("f", [REFERENCE_LIF, LIFTransfer(0.02, 0.002, 0.8, -0.2, 0.1)])
def test_phi_matches_the_siegert_integral(f):
    reference = np.array([siegert_quad(f, h) for h in LEVELS])
    np.testing.assert_allclose(f.phi(LEVELS), reference, rtol=1e-9, atol=1e-300)


def test_phi_maps_into_unit_interval_without_overflow():
    f = REFERENCE_LIF
    values = f.phi(np.array([-1e4, -50.0, 0.0, 1e3, 1e12]))
    assert np.all((values >= 0.0) & (values < 1.0))
    assert values[0] == 0.0 and np.all(np.diff(values) >= 0)
    assert np.all(np.isfinite(f.dphi(np.array([-1e4, 1e12]))))


def test_dphi_matches_finite_differences():
    f, eps = REFERENCE_LIF, 1e-6
    numeric = (f.phi(LEVELS + eps) - f.phi(LEVELS - eps)) / (2 * eps)
    np.testing.assert_allclose(f.dphi(LEVELS), numeric, rtol=1e-5, atol=1e-12)


def test_inverse_round_trip():
    f = REFERENCE_LIF
    h = np.array([0.0, 0.5, 1.0, 2.5, 40.0])
    np.testing.assert_allclose(f.inverse(f.phi(h)), h, rtol=1e-10, atol=1e-10)
    with pytest.raises(InvalidInput, match="rate"):
        f.inverse(1.0)


def test_antiderivative_is_the_integral_of_phi():
    f = REFERENCE_LIF
    for h in (0.0, 1.0, 3.0):
        reference = quad(lambda x: float(f.phi(x)), f.threshold - 40 * f.sigma, h, limit=200)[0]
        assert float(f.antiderivative(h)) == pytest.approx(reference, rel=1e-9, abs=1e-15)
    assert float(f.antiderivative(-100.0)) == 0.0


def test_slope_bounds_against_a_grid():
    f = REFERENCE_LIF
    for lo, hi in [(-1.0, 0.5), (0.5, 1.5), (1.2, 6.0), (-3.0, 20.0)]:
        grid = np.linspace(lo, hi, 4001)
        slopes = f.dphi(grid)
        smin, smax = f.slope_bounds(lo, hi)
        assert float(smin) == pytest.approx(slopes.min(), rel=1e-9, abs=1e-300)
        assert float(smax) >= slopes.max() * (1 - 1e-9) and float(smax) <= slopes.max() * (1 + 1e-4)
    assert f.max_slope == pytest.approx(float(np.max(f.dphi(np.linspace(0.5, 2.0, 20001)))), rel=1e-6)
    assert f.rho == f.max_slope


def test_invalid_parameters_are_rejected():
    with pytest.raises(InvalidInput, match="reset"):
        LIFTransfer(0.01, 0.002, 1.0, 1.0, 0.2)
    with pytest.raises(InvalidInput, match="sigma"):
        LIFTransfer(0.01, 0.002, 1.0, 0.0, -0.2)
    with pytest.raises(InvalidInput, match="`lo` must be <= `hi`"):
        REFERENCE_LIF.slope_bounds(1.0, 0.0)


def test_design_with_the_lif_transfer_is_exact_and_stable(lif_network):
    assert float(np.max(np.abs(equilibrium_residual(lif_network)))) < 1e-10
    rates = lif_network.memory_rates()
    fixed_point = lif_network.activation.phi(lif_network.weights_matvec(rates)) - rates
    assert float(np.max(np.abs(fixed_point))) < 1e-12  # -x + Phi(W x) = 0 at every memory
    stability = local_stability(lif_network)  # the exact spectrum of every memory
    assert stability.all_stable and float(stability.max_eigenvalues.max()) < -0.2
    assert lif_network.gamma < 0
    states = uniform_states(lif_network)
    assert [s.kind for s in states] == ["quiescent"] and states[0].stable


def test_the_registry_rebuilds_a_lif_transfer():
    record = activation_record(REFERENCE_LIF)
    assert record == {"name": "lif", "tau_m": 0.01, "t_ref": 0.004, "threshold": 1.0, "reset": 0.0, "sigma": 0.3}
    assert activation_from_name(**record) == REFERENCE_LIF
    with pytest.raises(InvalidInput, match="needs `tau_m`, `t_ref`, `reset`, `sigma`"):
        activation_from_name("lif", threshold=1.0)
    with pytest.raises(InvalidInput, match="does not take `rho`"):
        activation_from_name("lif", rho=4.8, **{k: v for k, v in record.items() if k != "name"})
    with pytest.raises(InvalidInput, match="does not take `sigma`"):
        activation_from_name("sigmoid", rho=4.8, threshold=0.2, sigma=0.3)


def test_a_lif_design_round_trips_through_a_file(tmp_path, lif_network):
    loaded = load_network(save_network(tmp_path / "lif.npz", lif_network))
    assert loaded.activation == lif_network.activation
    for name in ("a", "b", "q", "r", "tau", "alpha", "alpha_prime", "beta", "gamma"):
        assert getattr(loaded, name) == getattr(lif_network, name)
