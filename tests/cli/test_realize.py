"""assocrate.cli.realize: ``assocrate discretize`` and ``assocrate graph``: JSON records, files, one-line errors."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns
from assocrate.ctrnn import discrete_stability, discretize
from assocrate.graphs import transition_graph
from assocrate.io import save_network
from assocrate.retrieval import make_cues, retrieve

from ..reference import REFERENCE_SIGMOID

DISCRETIZE_KEYS = {"form", "dt", "tau", "gamma", "dt_max", "dt_quiescent", "n_stable", "memories", "uniform_states",
                   "network", "export"}
GRAPH_KEYS = {"n_nodes", "n_edges", "n_positive", "n_negative", "total_weight", "strongly_connected", "kind", "network",
              "out"}
TRANSITION_KEYS = {"n_nodes", "n_edges", "n_correct", "success_rate", "transitions", "kind", "n_cues", "cue", "sigma",
                   "network", "out", "seed"}


@pytest.fixture(scope="module")
def network():
    return design(equal_overlap_patterns(100, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="module")
def network_file(tmp_path_factory, network):
    return save_network(tmp_path_factory.mktemp("net") / "net.npz", network)


def test_both_commands_are_listed(cli):
    code, out, _ = cli("--help")
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert code == 0 and listed[-2:] == ["discretize", "graph"]


# ------------------------------------------------------------------------------------------------
# discretize
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["current", "rate"])
def test_discretize_json_equals_the_library(network, network_file, cli, form):
    code, out, err = cli("discretize", network_file, "--dt", 0.1, "--form", form, "--json")
    assert code == 0, err
    record = json.loads(out)
    assert set(record) == DISCRETIZE_KEYS and record["export"] is None and record["form"] == form
    expected = discrete_stability(discretize(network, 0.1, form=form))
    assert record["gamma"] == pytest.approx(0.1) and record["n_stable"] == 6
    assert record["dt_max"] == pytest.approx(expected.dt_max, rel=1e-14)
    assert [m["spectral_radius"] for m in record["memories"]] == pytest.approx(list(expected.spectral_radii))


def test_discretize_above_dt_max_reports_instability(network_file, cli):
    code, out, _ = cli("discretize", network_file, "--dt", 2.1, "--json")
    record = json.loads(out)
    assert code == 0 and record["n_stable"] == 0
    assert all(m["spectral_radius"] > 1 and not m["stable"] for m in record["memories"])


def test_discretize_text_and_export(network, network_file, tmp_path, cli):
    out_file = tmp_path / "ctrnn.npz"
    code, out, err = cli("discretize", network_file, "--dt", 0.5, "--export", out_file, "--dense", "--dale",
                         "--n-inhibitory", 2)
    assert code == 0, err
    assert "gamma=dt/tau=0.5" in out and "dt_max = " in out and f"CTRNN arrays written to {out_file}" in out
    with np.load(out_file) as archive:
        assert archive["ei_mask"].tolist() == [1] * 100 + [-1, -1]
        np.testing.assert_allclose(archive["W_hid"], network.dense_weights(), rtol=0, atol=1e-15)
        assert float(archive["gamma"]) == 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dt", "-1"], "`dt` must be > 0; got -1.0"),
        (["--dt", "0"], "`dt` must be > 0; got 0.0"),
        ([], "Missing option '--dt'"),
        (["--dt", "0.1", "--form", "spiking"], "'--form'"),
        (["--dt", "0.1", "--dale"], "needs --export"),
        (["--dt", "0.1", "--export", "no-such-directory/c.npz"], "'--export'"),
        (["--dt", "0.1", "--export", "c.npz", "--dale", "--tau-inhibitory", "-1"], "tau_inhibitory"),
        (["--dt", "0.1", "--n-inhibitory", "0"], "'--n-inhibitory'"),
    ],
)
def test_discretize_bad_input_is_one_line_exit_2(network_file, tmp_path, monkeypatch, cli, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("discretize", network_file, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "c.npz").exists()


def test_discretize_missing_network_exit_2(tmp_path, cli):
    code, _, err = cli("discretize", tmp_path / "missing.npz", "--dt", 0.1)
    assert code == 2 and err.startswith("error: ") and "missing.npz" in err


# ------------------------------------------------------------------------------------------------
# graph
# ------------------------------------------------------------------------------------------------


def test_graph_types_json_and_graphml(network, network_file, tmp_path, cli):
    out_file = tmp_path / "types.graphml"
    code, out, err = cli("graph", network_file, "--kind", "types", "--out", out_file, "--json")
    assert code == 0, err
    record = json.loads(out)
    assert GRAPH_KEYS <= set(record) and record["out"] == str(out_file)
    assert record["n_nodes"] == network.row_types.n_types and record["strongly_connected"]
    assert record["total_weight"] == pytest.approx(network.dense_weights().sum(), rel=1e-10, abs=1e-12)
    back = nx.read_graphml(out_file, node_type=int)
    assert back.number_of_nodes() == network.row_types.n_types


def test_graph_synaptic_text_with_dale(network_file, cli):
    code, out, _ = cli("graph", network_file, "--kind", "synaptic", "--dale")
    assert code == 0 and out.startswith("synaptic graph: 101 nodes, 10200 edges")


def test_graph_transition_equals_the_library(network, network_file, tmp_path, cli):
    figure = tmp_path / "transitions.png"
    args = ("--kind", "transition", "--cue", "flip:0.3", "--trials", 3, "--sigma", 0.05, "--seed", 2, "--t-max", 5)
    code, out, err = cli("graph", network_file, *args, "--json", "--figure", figure)
    assert code == 0, err
    record = json.loads(out)
    assert set(record) == TRANSITION_KEYS | {"figure"} and figure.stat().st_size > 0
    cues = make_cues(network, "flip", 0.3, trials=3, seed=2)
    result = retrieve(network, cues, t_max=5.0, sigma=0.05, seed=np.random.default_rng(2))
    expected = {(s, t): d["count"] for s, t, d in transition_graph(result).edges(data=True)}
    assert {(t["from"], t["to"]): t["count"] for t in record["transitions"]} == expected
    assert record["n_cues"] == 18 and record["n_correct"] == int(result.success.sum())
    code, text, _ = cli("graph", network_file, *args)
    assert code == 0 and text.startswith("transition graph (flip:0.3, sigma=0.05): 18 cues")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "synaptic", "--max-units", "10"], "type_graph"),
        (["--out", "g.txt"], "'--out': must end in .graphml or .gexf"),
        (["--out", "no-such-directory/g.graphml"], "'--out'"),
        (["--kind", "fancy"], "'--kind'"),
        (["--kind", "transition", "--cue", "erase:0.4"], "'--cue'"),
        (["--kind", "transition", "--dale"], "'--dale'"),
        (["--kind", "types", "--figure", "t.png"], "'--figure'"),
        (["--kind", "transition", "--sigma", "-1"], "sigma"),
        (["--kind", "synaptic", "--threshold", "-1"], "`threshold` must be >= 0"),
    ],
)
def test_graph_bad_input_is_one_line_exit_2(network_file, tmp_path, monkeypatch, cli, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("graph", network_file, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_commands_on_a_nonsymmetric_network(tmp_path, cli, nonsymmetric_network):
    """A projection-rule network with unequal activities through dale, discretize --export --dale
    and graph: the records equal the library's, the export holds L and R."""
    from assocrate.dale import dale_realization

    net_file = save_network(tmp_path / "net.npz", nonsymmetric_network)
    code, out, err = cli("dale", net_file, "--tau-inhibitory", "0.1", "--json")
    assert code == 0, err
    record = json.loads(out)
    dale = dale_realization(nonsymmetric_network, tau_inhibitory=0.1)
    assert record["symmetric"] is False and record["w_EI"] == record["c"] == pytest.approx(dale.c, rel=1e-15)
    assert record["signs"]["obeys_dale"] and record["n_stable"] == 6
    code, out, err = cli("discretize", net_file, "--dt", 0.5, "--export", tmp_path / "c.npz", "--dale", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["n_stable"] == 6 and record["uniform_states"] == []
    with np.load(tmp_path / "c.npz") as data:
        assert {"L", "R", "L_EE", "R_EE"} <= set(data.files) and "U" not in data.files
    code, out, err = cli("graph", net_file, "--kind", "types", "--dale", "--json")
    assert code == 0, err
    assert json.loads(out)["n_nodes"] == nonsymmetric_network.row_types.n_types + 1
