"""assocrate.graphs against dense weight matrices and hand-made graphs (the CLI: tests/cli/test_realize.py)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns
from assocrate.dale import dale_realization
from assocrate.errors import InvalidInput, InvalidType
from assocrate.graphs import (
    graph_record,
    is_irreducible,
    synaptic_graph,
    transition_graph,
    type_graph,
    write_graph,
)
from assocrate.plots import transition_graph_plot
from assocrate.retrieval import make_cues, nonstored_cues, retrieve

from .reference import projection_network


@pytest.fixture(scope="module")
def net():
    return design(equal_overlap_patterns(100, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)


@pytest.fixture(scope="module")
def random_net():
    """Random patterns: many row types of unequal sizes."""
    return design(random_patterns(120, 5, 0.3, seed=2), Sigmoid(4.8, 0.2), -0.3, 0.95, q=0.3, r=0.3)


def unit_matrix(graph, n):
    """``A[i, j]`` = weight of the edge j -> i (the convention of W)."""
    return nx.to_numpy_array(graph, nodelist=range(n), weight="weight").T


# ------------------------------------------------------------------------------------------------
# Synaptic graph
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["net", "random_net"])
def test_synaptic_edges_equal_dense_weights(fixture, request):
    network = request.getfixturevalue(fixture)
    W = network.dense_weights()
    graph = synaptic_graph(network)
    N = network.n_units
    assert graph.number_of_edges() == np.count_nonzero(W)
    np.testing.assert_allclose(unit_matrix(graph, N), W, rtol=1e-13, atol=1e-16)
    for j, i, data in graph.edges(data=True):
        assert data["sign"] == np.sign(W[i, j])
    for i in (0, N // 2, N - 1):
        members = graph.nodes[i]["patterns"]
        expected = [mu for mu in range(network.n_patterns) if network.patterns[i, mu]]
        assert [int(m) for m in members.split(",") if m] == expected
        assert graph.nodes[i]["row_type"] == int(network.row_types.index[i])


def test_synaptic_threshold_and_refusals(net):
    W = net.dense_weights()
    threshold = float(np.median(np.abs(W)))
    graph = synaptic_graph(net, threshold=threshold)
    assert graph.number_of_edges() == np.count_nonzero(np.abs(W) > threshold)
    kept = unit_matrix(graph, net.n_units)
    np.testing.assert_allclose(kept, np.where(np.abs(W) > threshold, W, 0.0), rtol=1e-13, atol=1e-16)
    with pytest.raises(InvalidInput, match=r"N=100 units.*`max_units`=50.*type_graph"):
        synaptic_graph(net, max_units=50)
    with pytest.raises(InvalidInput, match=r"10000 edges, above `max_edges`=100"):
        synaptic_graph(net, max_edges=100)
    with pytest.raises(InvalidInput, match="`threshold` must be >= 0; got -1.0"):
        synaptic_graph(net, threshold=-1.0)
    with pytest.raises(InvalidType, match="`network` must be a MemoryNetwork"):
        synaptic_graph(W)


def test_synaptic_graph_of_dale_realization(net):
    dale = dale_realization(net, n_inhibitory=2)
    graph = synaptic_graph(net, dale=dale)
    blocks = dale.dense_blocks()
    full = np.block([[blocks.EE, blocks.EI], [blocks.IE, blocks.II]])
    N = net.n_units + 2
    np.testing.assert_allclose(unit_matrix(graph, N), np.where(np.abs(full) > 0, full, 0.0), rtol=1e-12, atol=1e-15)
    populations = nx.get_node_attributes(graph, "population")
    assert Counter(populations.values()) == {"E": net.n_units, "I": 2}
    tol = dale.signs().tolerance
    for j, _, w in graph.edges(data="weight"):  # Dale's law: every unit sends one sign
        assert (w >= -tol) if populations[j] == "E" else (w < 0)


# ------------------------------------------------------------------------------------------------
# Type graph
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["net", "random_net"])
def test_type_graph_weights_equal_dense_sums(fixture, request):
    network = request.getfixturevalue(fixture)
    W = network.dense_weights()
    graph = type_graph(network)
    types = network.row_types
    assert graph.number_of_nodes() == types.n_types
    assert sum(count for _, count in graph.nodes(data="count")) == network.n_units
    total = sum(d["total"] for _, _, d in graph.edges(data=True))
    assert total == pytest.approx(W.sum(), rel=1e-11, abs=1e-11)
    for t, s, data in graph.edges(data=True):  # block (s receives, t sends) of the dense W
        block = W[np.ix_(types.index == s, types.index == t)]
        assert data["total"] == pytest.approx(block.sum(), rel=1e-11, abs=1e-13)
        np.testing.assert_allclose(block, data["weight"], rtol=1e-11, atol=1e-15)
        assert data["input"] == pytest.approx(block.sum(axis=1)[0], rel=1e-11, abs=1e-15)
    # the quotient matrix (``input``) carries the nonzero spectrum of W
    Q = nx.to_numpy_array(graph, nodelist=range(types.n_types), weight="input").T
    quotient = np.sort(np.linalg.eigvals(Q).real)
    dense = np.linalg.eigvalsh(W)
    for value in quotient[np.abs(quotient) > 1e-9]:
        assert np.min(np.abs(dense - value)) < 1e-9


def test_type_graph_reference_design_and_dale(equal_overlap_network):
    network = equal_overlap_network
    dale = dale_realization(network)
    graph = type_graph(network, dale=dale)
    assert graph.number_of_nodes() == 8  # 7 row types + the inhibitory population
    populations = Counter(nx.get_node_attributes(graph, "population").values())
    assert populations == {"E": 7, "I": 1}
    # totals add up to the sum of the augmented weight matrix, computed from the factors
    U = network.U
    ones = U.T @ np.ones(network.n_units)
    sum_EE = float(ones @ (dale.c_EE * ones))
    expected = sum_EE + 1.0 - dale.w_EI * network.n_units  # E->I: N x 1/N; I->E: N x (-w_EI)
    assert sum(d["total"] for _, _, d in graph.edges(data=True)) == pytest.approx(expected, rel=1e-10)
    record = graph_record(graph)
    assert record["strongly_connected"] and record["n_nodes"] == 8


# ------------------------------------------------------------------------------------------------
# Irreducibility
# ------------------------------------------------------------------------------------------------


def test_irreducible_hand_made_examples():
    reducible = np.array([[1.0, 2.0, 0.0], [0.5, 1.0, 0.0], [1.0, 1.0, 1.0]])  # {0, 1} never reaches 2
    assert not is_irreducible(reducible, np.ones(3))
    permutation = [2, 0, 1]
    assert not is_irreducible(reducible[np.ix_(permutation, permutation)], np.ones(3))
    cycle = np.roll(np.eye(4), 1, axis=1) * -0.3
    assert is_irreducible(cycle, np.ones(4))
    assert not is_irreducible(cycle, np.array([1.0, 1.0, 0.0, 1.0]))  # a zero slope empties a column
    assert is_irreducible(np.array([[0.0]]), np.ones(1))  # 1 x 1: irreducible by convention
    tiny = np.array([[1.0, 1e-17], [1e-17, 1.0]])
    assert is_irreducible(tiny, np.ones(2)) and not is_irreducible(tiny, np.ones(2), rtol=1e-12)
    with pytest.raises(InvalidInput, match="`slope_upper` must be a 1-D array of finite slope bounds >= 0"):
        is_irreducible(cycle, -np.ones(4))
    with pytest.raises(InvalidInput, match="`slope_upper` must have length 4"):
        is_irreducible(cycle, np.ones(3))
    with pytest.raises(InvalidInput, match="square weight matrix"):
        is_irreducible(np.ones((2, 3)), np.ones(2))
    with pytest.raises(InvalidType, match="`network` must be a MemoryNetwork or a real square weight matrix"):
        is_irreducible("net.npz", np.ones(2))
    with pytest.raises(InvalidType, match="`slope_upper` must be a real array"):
        is_irreducible(cycle, [1, None, 1, 1])


@pytest.mark.parametrize("fixture", ["net", "random_net"])
def test_irreducible_types_agree_with_dense_unit_graph(fixture, request):
    network = request.getfixturevalue(fixture)
    W = network.dense_weights()
    rng = np.random.default_rng(0)
    k = network.row_types.n_types
    cases = [np.ones(network.n_units), rng.uniform(0.1, 1.0, network.n_units)]
    with_zero = np.ones(network.n_units)
    with_zero[5] = 0.0
    cases.append(with_zero)
    for K in cases:
        dense = nx.is_strongly_connected(nx.from_numpy_array(np.abs(W) * K[None, :], create_using=nx.DiGraph))
        assert is_irreducible(network, K) == dense
        assert is_irreducible(W, K) == dense
    assert is_irreducible(network, np.ones(k))
    per_type = np.ones(k)
    per_type[0] = 0.0
    assert not is_irreducible(network, per_type)
    with pytest.raises(InvalidInput, match=f"length N={network.n_units} .* or k={k}"):
        is_irreducible(network, np.ones(k + 1))


# ------------------------------------------------------------------------------------------------
# Transition graph
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retrieval(net):
    return retrieve(net, make_cues(net, "flip", 0.3, trials=3, seed=0), t_max=3.0, seed=0)


def test_transition_graph_counts(retrieval):
    P = retrieval.overlaps.shape[1]
    graph = transition_graph(retrieval)
    assert sum(d["count"] for _, _, d in graph.edges(data=True)) == retrieval.n_cues
    expected = Counter(
        (f"memory {c}", f"memory {m}" if m >= 0 else str(label))
        for c, label, m in zip(retrieval.cued, retrieval.labels, retrieval.matched)
    )
    assert {(s, t): d["count"] for s, t, d in graph.edges(data=True)} == dict(expected)
    for mu in range(P):
        out = graph.out_edges(f"memory {mu}", data="fraction")
        assert sum(f for _, _, f in out) == pytest.approx(1.0)


def test_transition_graph_confusions_hand_made(retrieval):
    n = retrieval.n_cues
    cued = np.array([0, 0, 0, 1, 1, -1] + [2] * (n - 6))
    labels = np.array(
        ["cued memory", "other memory", "quiescent", "other memory", "other memory", "quiescent"] + ["none"] * (n - 6)
    )
    matched = np.array([0, 3, -1, 0, 0, -1] + [-1] * (n - 6))
    fake = dataclasses.replace(retrieval, cued=cued, labels=labels, matched=matched)
    graph = transition_graph(fake)
    assert graph.edges["memory 0", "memory 0"]["count"] == 1
    assert graph.edges["memory 0", "memory 3"]["count"] == 1
    assert graph.edges["memory 0", "quiescent"]["fraction"] == pytest.approx(1 / 3)
    assert graph.edges["memory 1", "memory 0"]["count"] == 2 and graph.edges["memory 1", "memory 0"]["fraction"] == 1.0
    assert graph.edges["not stored", "quiescent"]["count"] == 1
    assert graph.nodes["not stored"]["kind"] == "cue" and graph.nodes["none"]["kind"] == "state"
    figure = transition_graph_plot(graph)
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    assert any("2" == text.get_text() for text in figure.axes[0].texts)  # the memory 1 -> memory 0 arrow
    with pytest.raises(InvalidType, match="`result` must be a RetrievalResult"):
        transition_graph(graph)
    with pytest.raises(InvalidType, match="`graph` must be a transition graph"):
        transition_graph_plot(nx.DiGraph())


def test_transition_graph_nonstored(net):
    result = retrieve(net, nonstored_cues(net, 4, seed=1), t_max=2.0, seed=0)
    graph = transition_graph(result)
    assert graph.nodes["not stored"]["cues"] == 4
    assert sum(c for _, _, c in graph.out_edges("not stored", data="count")) == 4


# ------------------------------------------------------------------------------------------------
# Export
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_round_trip(net, tmp_path, suffix):
    for graph in (type_graph(net, dale=dale_realization(net)), synaptic_graph(net, threshold=0.05)):
        path = write_graph(graph, tmp_path / f"g{suffix}")
        reader = nx.read_graphml if suffix == ".graphml" else nx.read_gexf
        back = reader(path, node_type=int)
        assert sorted(back.nodes) == sorted(graph.nodes)
        assert set(back.edges) == set(graph.edges)
        for u, v, data in graph.edges(data=True):
            assert back.edges[u, v]["weight"] == pytest.approx(data["weight"], rel=1e-15)
            assert int(back.edges[u, v]["sign"]) == data["sign"]
        for node, data in graph.nodes(data=True):
            for key in ("patterns", "population", "count"):
                if key in data:
                    assert back.nodes[node][key] == data[key]


def test_write_graph_is_atomic(tmp_path):
    target = tmp_path / "g.graphml"
    target.write_text("old")
    bad = nx.DiGraph()
    bad.add_edge(0, 1, weight=[1, 2])  # GraphML has no list type: the writer fails
    with pytest.raises(Exception):
        write_graph(bad, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.graphml"]
    with pytest.raises(InvalidInput, match=r"`path` must end in one of \['.gexf', '.graphml'\]"):
        write_graph(nx.DiGraph(), tmp_path / "g.json")


def test_graph_record_of_transitions(retrieval):
    graph = transition_graph(retrieval)
    record = graph_record(graph)
    assert record["kind"] == "transitions" and record["n_cues"] == retrieval.n_cues
    assert sum(t["count"] for t in record["transitions"]) == retrieval.n_cues
    assert record["n_correct"] == int(np.sum(retrieval.success))
    assert record["success_rate"] == pytest.approx(retrieval.success_rate)
    counts = [t["count"] for t in record["transitions"]]
    assert counts == sorted(counts, reverse=True)
    json.dumps(record)
    with pytest.raises(InvalidType, match="`graph` must be a networkx DiGraph"):
        graph_record(nx.Graph())


def test_type_representatives(random_net):
    reps = random_net.type_representatives
    types = random_net.row_types
    np.testing.assert_array_equal(types.index[reps], np.arange(types.n_types))
    np.testing.assert_array_equal(reps, [np.flatnonzero(types.index == s)[0] for s in range(types.n_types)])
    assert not reps.flags.writeable


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.floats(0.05, 0.9), st.integers(0, 2**16))
def test_irreducibility_equals_networkx_strong_connectivity(k, density, seed):
    """is_irreducible is networkx.is_strongly_connected on the support of |W| K+ (entry (i, j) -> edge i -> j)."""
    rng = np.random.default_rng(seed)
    weights = np.where(rng.random((k, k)) < density, rng.normal(size=(k, k)), 0.0)
    slopes = np.where(rng.random(k) < 0.9, 1.0, 0.0)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(k))
    graph.add_edges_from(zip(*np.nonzero((weights != 0) & (slopes[None, :] > 0))))
    expected = True if k == 1 else nx.is_strongly_connected(graph)  # a 1 x 1 matrix: irreducible by convention
    assert is_irreducible(weights, slopes) is expected


# ------------------------------------------------------------------------------------------------
# Non-symmetric W (projection rule, unequal activities)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def projection_net(nonsymmetric_network):
    """N = 200, P = 6, activities 10..40 %: W = L C R^T is not symmetric (tests/conftest.py)."""
    return nonsymmetric_network


def test_graphs_of_nonsymmetric_w_equal_dense(projection_net):
    """Synaptic edges j -> i carry W[i, j] (not W[j, i]: the dense W is far from symmetric); the type
    graph's blocks, totals and quotient spectrum (the nonzero, complex, spectrum of W) are the
    dense ones. Tolerances as for the symmetric designs (rounding of m-term sums, 1e-13 relative)."""
    network = projection_net
    W = network.dense_weights()
    assert np.abs(W - W.T).max() > 1e-3
    graph = synaptic_graph(network)
    assert graph.number_of_edges() == np.count_nonzero(W)
    np.testing.assert_allclose(unit_matrix(graph, network.n_units), W, rtol=1e-13, atol=1e-16)
    types = network.row_types
    tgraph = type_graph(network)
    assert sum(d["total"] for _, _, d in tgraph.edges(data=True)) == pytest.approx(W.sum(), rel=1e-11, abs=1e-11)
    for t, s, data in tgraph.edges(data=True):
        block = W[np.ix_(types.index == s, types.index == t)]
        np.testing.assert_allclose(block, data["weight"], rtol=1e-11, atol=1e-15)
    Q = nx.to_numpy_array(tgraph, nodelist=range(types.n_types), weight="input").T
    quotient = np.linalg.eigvals(Q)
    dense = np.linalg.eigvals(W)
    nonzero = quotient[np.abs(quotient) > 1e-9]
    assert nonzero.size == network.n_patterns
    for value in nonzero:
        assert np.min(np.abs(dense - value)) < 1e-9
    K = np.random.default_rng(1).uniform(0.1, 1.0, network.n_units)
    dense_verdict = nx.is_strongly_connected(nx.from_numpy_array(np.abs(W) * K[None, :], create_using=nx.DiGraph))
    assert is_irreducible(network, K) == dense_verdict


def test_graphs_of_dale_realization_of_nonsymmetric_w(projection_net):
    """The Dale realization of a non-symmetric W: the synaptic graph is the dense augmented matrix,
    every unit sends one sign, and the type graph's totals add up to its sum."""
    network = projection_net
    dale = dale_realization(network, n_inhibitory=2)
    blocks = dale.dense_blocks()
    full = np.block([[blocks.EE, blocks.EI], [blocks.IE, blocks.II]])
    graph = synaptic_graph(network, dale=dale)
    np.testing.assert_allclose(unit_matrix(graph, network.n_units + 2), full, rtol=1e-12, atol=1e-15)
    populations = nx.get_node_attributes(graph, "population")
    tol = dale.signs().tolerance
    for j, _, w in graph.edges(data="weight"):
        assert (w >= -tol) if populations[j] == "E" else (w < 0)
    tgraph = type_graph(network, dale=dale)
    assert sum(d["total"] for _, _, d in tgraph.edges(data=True)) == pytest.approx(full.sum(), rel=1e-10)
    other = dale_realization(projection_network(200, 6, seed=5))
    with pytest.raises(InvalidInput, match="realization of `network`"):
        synaptic_graph(network, dale=other)


def test_transition_graph_of_nonsymmetric_retrieval(projection_net):
    """Retrieval on a non-symmetric W feeds the transition graph like any other: one edge count per cue."""
    result = retrieve(projection_net, make_cues(projection_net, "flip", 0.1, trials=2, seed=0), t_max=5.0, seed=0)
    graph = transition_graph(result)
    assert sum(d["count"] for _, _, d in graph.edges(data=True)) == result.n_cues
    assert graph_record(graph)["n_correct"] == int(np.sum(result.matched == result.cued))
