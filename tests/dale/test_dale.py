"""The dale package: frozen, readable records and the argument checks of every entry point."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.dale import (
    DaleNetwork,
    dale_realization,
    dale_spectrum,
    dale_stability,
    dale_vector_field,
    simulate_dale,
)

# ----------------------------------------------------------------------------------------------
# Records and validation
# ----------------------------------------------------------------------------------------------


def test_records_are_frozen_and_readable(equal_overlap_network):
    dale = dale_realization(equal_overlap_network, n_inhibitory=2, tau_inhibitory=4.0)
    spectrum = dale_spectrum(dale, 0)
    for array in (dale.c_EE, spectrum.values, spectrum.multiplicities, spectrum.reduced, spectrum.excitatory):
        assert not array.flags.writeable
    with pytest.raises(AttributeError):
        dale.c = 0.0
    assert "w_EI = c - gamma = 1.50001" in dale.summary() and "Dale's law: obeyed" in dale.summary()
    assert "stable for every tau_I" in spectrum.summary() and "DaleSpectrum(mu=0" in repr(spectrum)
    table = dale_stability(dale).summary()
    assert "6 of 6 memories stable" in table and len(table.splitlines()) == 3 + 6 + 1
    assert spectrum.multiplicities.sum() == 1002 and spectrum.rank == 7


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_inhibitory": 0}, ValueError, "`n_inhibitory` must be >= 1; got 0"),
        ({"n_inhibitory": 1.5}, TypeError, "`n_inhibitory` must be an integer"),
        ({"tau_inhibitory": -0.5}, ValueError, "`tau_inhibitory` must be > 0; got -0.5"),
        ({"tau_inhibitory": float("nan")}, ValueError, "`tau_inhibitory` must be finite"),
    ],
)
def test_realization_rejects_bad_arguments(equal_overlap_network, kwargs, error, message):
    with pytest.raises(error, match=message):
        dale_realization(equal_overlap_network, **kwargs)


def test_functions_reject_bad_arguments(equal_overlap_network):
    dale = dale_realization(equal_overlap_network)
    N = equal_overlap_network.n_units
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        dale_realization("net")
    with pytest.raises(TypeError, match="`dale` must be a DaleNetwork"):
        dale_spectrum(equal_overlap_network, 0)
    with pytest.raises(ValueError, match=r"`mu` must be in \[0, 5\]; got 6"):
        dale_spectrum(dale, 6)
    with pytest.raises(ValueError, match="`at` must be one of"):
        dale_stability(dale, at="nowhere")
    with pytest.raises(ValueError, match=r"`Z` must have shape \(1001,\)"):
        dale_vector_field(dale, np.zeros(N))
    with pytest.raises(ValueError, match="`u` must be None, a scalar or have shape"):
        dale_vector_field(dale, np.zeros(N + 1), u=np.zeros(3))
    with pytest.raises(ValueError, match=r"`r0` must be a scalar or have shape \(1,\)"):
        simulate_dale(dale, np.zeros(N), (0.0, 1.0), r0=np.zeros(2))
    with pytest.raises(ValueError, match="`t_span` must have t1 > t0"):
        simulate_dale(dale, np.zeros(N), (1.0, 0.0))
    with pytest.raises(ValueError, match="`tau_inhibitory` must be > 0"):
        dale.with_tau_inhibitory(0.0)
    with pytest.raises(ValueError, match="`c` must be >= 0"):
        DaleNetwork(equal_overlap_network, 1, 1.0, -1.0, 0.0, (0, 0))
