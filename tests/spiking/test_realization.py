"""The spiking realization without Brian2: validation, the network's numbers, the API, import lightness."""

from __future__ import annotations

import subprocess
import sys

import pytest

import assocrate as aa
from assocrate.dale import dale_realization
from assocrate.errors import InvalidInput, InvalidType
from assocrate.spiking import SpikingNetwork, spiking_realization


def test_the_realization_holds_its_numbers(equal_overlap_network):
    sn = spiking_realization(equal_overlap_network, neurons_per_unit=4, r_max=100.0, tau_syn=0.01, seed=0)
    assert sn.n_neurons == 4000 and sn.n_inhibitory == 0 and sn.time_unit == 0.01
    assert sn.trace_increment == pytest.approx(1 / (4 * 100.0 * 0.01))
    assert sn.fluctuation_scale == pytest.approx(0.5)  # 1/sqrt(r_max tau_s n) = 1/sqrt(4)
    assert float(sn.rate_hz(0.95)) == pytest.approx(100.0 * float(equal_overlap_network.activation.phi(0.95)))
    assert "7 latent traces" in sn.summary() and "SpikingNetwork(neuron='poisson'" in repr(sn)


def test_the_dale_variant_counts_inhibitory_units(equal_overlap_network):
    dale = dale_realization(equal_overlap_network, n_inhibitory=250, tau_inhibitory=0.5)
    sn = spiking_realization(dale, neurons_per_unit=2)
    assert sn.network is equal_overlap_network and sn.n_inhibitory == 250 and sn.n_neurons == 2 * 1250
    assert sn.tau_inhibitory == pytest.approx(0.005) and "inhibition" in sn.summary()


def test_a_lif_realization_fires_at_most_at_one_over_t_ref(lif_network):
    sn = spiking_realization(lif_network, neuron="lif")
    assert sn.r_max == pytest.approx(1 / lif_network.activation.t_ref)


@pytest.mark.parametrize(
    ("network", "kwargs", "error", "match"),
    [
        ("equal_overlap_network", {"neuron": "lif"}, InvalidInput, "needs a network designed with LIFTransfer"),
        ("lif_network", {"neuron": "poisson"}, InvalidInput, "needs a Sigmoid or RectifiedTanh"),
        ("lif_network", {"neuron": "lif", "r_max": 100.0}, InvalidInput, "1/t_ref"),
        ("equal_overlap_network", {"neuron": "izhikevich"}, InvalidInput, "`neuron` must be one of"),
        ("equal_overlap_network", {"neurons_per_unit": 0}, InvalidInput, "`neurons_per_unit` must be >= 1"),
        ("equal_overlap_network", {"tau_syn": -0.01}, InvalidInput, "`tau_syn` must be > 0"),
        ("equal_overlap_network", {"seed": -1}, InvalidInput, "`seed` must be >= 0"),
        ("equal_overlap_network", {"seed": 1.5}, InvalidType, "`seed` must be an integer"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(request, network, kwargs, error, match):
    with pytest.raises(error, match=match):
        spiking_realization(request.getfixturevalue(network), **kwargs)


def test_a_network_of_another_type_is_invalid_type():
    with pytest.raises(InvalidType, match="`network` must be a MemoryNetwork or a DaleNetwork"):
        spiking_realization("net.npz")


def test_the_top_level_names():
    assert aa.spiking_realization is spiking_realization and aa.SpikingNetwork is SpikingNetwork
    assert {"LIFTransfer", "SpikingNetwork", "SpikingResult", "simulate_spiking", "spiking_realization"} <= set(aa.__all__)


def test_importing_the_package_does_not_load_brian2_or_matplotlib():
    code = "import sys, assocrate, assocrate.spiking; assocrate.simulate_spiking; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "assocrate.spiking" in loaded and not {"brian2", "matplotlib"} & loaded
