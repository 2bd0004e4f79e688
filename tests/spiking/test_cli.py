"""``assocrate spike`` and ``assocrate design --activation lif``: JSON records, figures, one-line errors (exit 2).

The ``cli`` fixture is the CLI tests' in-process runner (imported by conftest.py).
"""

from __future__ import annotations

import json

import pytest

from assocrate.io import load_network, save_network

from ..reference import REFERENCE_LIF


@pytest.fixture(scope="module")
def network_file(tmp_path_factory, equal_overlap_network):
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", equal_overlap_network)


def test_design_lif_saves_a_network_that_loads(tmp_path, cli):
    path = tmp_path / "lif.npz"
    code, out, err = cli("design", "--activation", "lif", "--tau-m", 0.01, "--t-ref", 0.004, "--threshold", 1,
                         "--reset", 0, "--sigma", 0.3, "--a", -2, "--b", 4, "--out", path, "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["activation"] == {"name": "lif", "tau_m": 0.01, "t_ref": 0.004, "threshold": 1.0, "reset": 0.0,
                                    "sigma": 0.3}
    assert record["exact_design"] and record["max_residual"] < 1e-10
    assert load_network(path).activation == REFERENCE_LIF


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--activation", "lif", "--rho", 3), "'--rho': does not apply to --activation lif"),
        (("--activation", "tanh", "--sigma", 0.3), "'--sigma': does not apply to --activation tanh"),
        (("--activation", "lif", "--reset", 2), "`reset` must be < `threshold`"),
    ],
)
def test_design_refuses_parameters_of_another_activation(cli, args, message):
    code, out, err = cli("design", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_spike_without_brian2_is_one_line_exit_2(network_file, cli, monkeypatch):
    import assocrate.spiking

    monkeypatch.setattr(assocrate.spiking, "is_brian2_available", lambda: False)
    code, out, err = cli("spike", network_file)
    assert code == 2 and out == ""
    assert err.startswith("error: the spiking realizations need Brian2") and err.count("\n") == 1


def test_spike_lif_on_a_sigmoid_design_is_exit_2(network_file, cli):
    pytest.importorskip("brian2")
    code, out, err = cli("spike", network_file, "--neuron", "lif")
    assert code == 2 and out == ""
    assert "needs a network designed with LIFTransfer" in err


def test_spike_json_and_figure(network_file, tmp_path, cli):
    pytest.importorskip("brian2")
    figure = tmp_path / "raster.png"
    code, out, err = cli("spike", network_file, "--neuron", "poisson", "--cue", "delete:0.4", "--trials", 2,
                         "--t-max", 3, "--r-max", 100, "--seed", 0, "--figure", figure, "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["success_rate"] == 1.0 and record["classes"]["cued memory"] == 12 and record["n_cues"] == 12
    assert record["rate_active_hz"] > 80 and record["rate_inactive_hz"] < 1
    assert figure.stat().st_size > 0 and record["figure"] == str(figure)


def test_spike_text(network_file, cli):
    pytest.importorskip("brian2")
    code, out, err = cli("spike", network_file, "--t-max", 1, "--seed", 1)
    assert code == 0, err
    assert out.startswith("spiking retrieval: 6 cues (delete:0.4), poisson neurons x 1 per unit")
    assert "success rate" in out and "final rates" in out
