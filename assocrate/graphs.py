"""Graph views of a design with networkx (theory.md §6b): synapses, row types, retrieval transitions.

- :func:`synaptic_graph`: the unit-level DiGraph (small N), an edge ``j -> i`` of weight ``W[i, j]``
  (presynaptic j, postsynaptic i) for every synapse with ``|W[i, j]| > threshold``;
- :func:`type_graph`: the row-type quotient graph, k nodes at any N (units with identical pattern
  rows are interchangeable), with the type-to-type weights;
- :func:`is_irreducible`: the irreducibility assumption of the Metzler certificates, the strong
  connectivity of the support of ``|W| K⁺`` on row types;
- :func:`transition_graph`: which memory a cue of each memory ends in (retrieval confusions;
  drawn by :func:`assocrate.plots.transition_graph_plot`);
- :func:`write_graph`: GraphML / GEXF through the networkx writers, atomically;
  :func:`graph_record`: the counts of a graph as a JSON-ready dict (``assocrate graph --json``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from ._validation import check_finite_float, check_positive_int
from .core.design import MemoryNetwork, check_network
from .dale import DaleNetwork
from .dale.realization import realizes
from .errors import InvalidInput, InvalidType
from .io import atomic_write_bytes
from .retrieval import RetrievalResult

__all__ = [
    "GRAPH_SUFFIXES",
    "graph_record",
    "is_irreducible",
    "synaptic_graph",
    "transition_graph",
    "type_graph",
    "write_graph",
]

# Rows of W formed at once when building the synaptic graph.
_ROW_BLOCK = 512


def _memberships(row: np.ndarray) -> str:
    """Pattern membership of a unit as text: the memories it is active in, e.g. ``"0,3"`` (GraphML-safe)."""
    return ",".join(str(int(mu)) for mu in np.flatnonzero(row))


def _check_dale(dale: object, network: MemoryNetwork) -> DaleNetwork | None:
    if dale is None:
        return None
    if not isinstance(dale, DaleNetwork):
        raise InvalidType(f"`dale` must be a DaleNetwork (see dale_realization) or None; got {type(dale).__name__}")
    if not realizes(dale, network):
        raise InvalidInput("`dale` must be a realization of `network`; got one of another network")
    return dale


def _factors(network: MemoryNetwork, dale: DaleNetwork | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(L, c, R)`` with ``W = L diag(c) R^T`` (rows receive): the design's, or W_EE's of `dale`."""
    if dale is None:
        return network.L, np.asarray(network.c), network.R
    return dale.L_EE, np.asarray(dale.c_EE), dale.R_EE


def _type_weights(network: MemoryNetwork, dale: DaleNetwork | None, max_types: int) -> np.ndarray:
    """``[s, t]``: the weight from one unit of type t to one of type s (k x k), from the factors.

    The rows of L and R depend only on the unit's pattern row (any design rule), so W (and W_EE)
    is constant on row-type blocks.
    """
    types = network.row_types
    if types.n_types > max_types:
        raise InvalidInput(
            f"`network` has {types.n_types} row types; the type graph is limited to `max_types`={max_types} "
            "(pass a larger max_types)"
        )
    L, c, R = _factors(network, dale)
    reps = network.type_representatives
    return (L[reps] * c) @ R[reps].T


def synaptic_graph(
    network: MemoryNetwork,
    *,
    threshold: float = 0.0,
    max_units: int = 5000,
    max_edges: int = 1_000_000,
    dale: DaleNetwork | None = None,
) -> nx.DiGraph:
    """The unit-level synaptic graph: an edge ``j -> i`` with ``weight = W[i, j]`` when ``|W[i, j]| > threshold``.

    Parameters
    ----------
    network : MemoryNetwork
    threshold : float, default 0.0
        Edges with ``|w| <= threshold`` are left out (self-loops, the diagonal of W, are kept).
    max_units : int, default 5000
        Refuse larger N (use :func:`type_graph`, which has one node per row type at any N).
    max_edges : int, default 1_000_000
        Refuse graphs with more edges (networkx holds a few hundred bytes per edge).
    dale : DaleNetwork, optional
        Graph of the Dale realization instead: E->E weights from ``W_EE >= 0`` and the inhibitory
        units as nodes ``N, ..., N + N_I - 1``.

    Returns
    -------
    networkx.DiGraph
        Nodes 0..N-1 with ``patterns`` (the memories the unit is active in, e.g. ``"0,3"``),
        ``row_type`` and, with `dale`, ``population`` (``"E"`` or ``"I"``); edges with ``weight``
        and ``sign`` (+1 / -1).

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(50, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> g = synaptic_graph(net)
    >>> g.number_of_nodes(), g.number_of_edges(), bool(np.isclose(g.edges[1, 0]["weight"], net.dense_weights()[0, 1]))
    (50, 2500, True)
    """
    network = check_network(network)
    threshold = check_finite_float("threshold", threshold)
    if threshold < 0:
        raise InvalidInput(f"`threshold` must be >= 0; got {threshold!r}")
    max_units = check_positive_int("max_units", max_units)
    max_edges = check_positive_int("max_edges", max_edges)
    dale = _check_dale(dale, network)
    N = network.n_units
    if N > max_units:
        raise InvalidInput(
            f"`network` has N={N} units; synaptic_graph is limited to `max_units`={max_units} (N^2 synapses). "
            "Use type_graph(network) (assocrate graph --kind types): one node per row type "
            f"({network.row_types.n_types} here), with the same weights, at any N"
        )
    types = network.row_types
    kept = np.abs(_type_weights(network, dale, types.n_types)) > threshold
    n_edges = int(types.counts @ kept @ types.counts)
    if dale is not None:
        n_edges += 2 * N * dale.n_inhibitory
    if n_edges > max_edges:
        raise InvalidInput(
            f"the synaptic graph would have {n_edges} edges, above `max_edges`={max_edges}: raise `threshold` "
            "or use type_graph(network)"
        )
    graph = nx.DiGraph(kind="synaptic", n_units=N, n_patterns=network.n_patterns, threshold=threshold)
    for i in range(N):
        attributes = {"patterns": _memberships(network.patterns[i]), "row_type": int(types.index[i])}
        if dale is not None:
            attributes["population"] = "E"
        graph.add_node(i, **attributes)
    L, c, R = _factors(network, dale)
    for start in range(0, N, _ROW_BLOCK):
        block = (L[start : start + _ROW_BLOCK] * c) @ R.T  # rows i receive from columns j
        rows, cols = np.nonzero(np.abs(block) > threshold)
        values = block[rows, cols]
        graph.add_edges_from(
            (j, start + i, {"weight": w, "sign": 1 if w > 0 else -1})
            for i, j, w in zip(rows.tolist(), cols.tolist(), values.tolist())
        )
    if dale is not None:
        w_in, w_out = 1.0 / N, -dale.w_EI / dale.n_inhibitory
        for k in range(dale.n_inhibitory):
            node = N + k
            graph.add_node(node, patterns="", row_type=-1, population="I")
            graph.add_edges_from((j, node, {"weight": w_in, "sign": 1}) for j in range(N))
            if w_out != 0.0:
                graph.add_edges_from((node, i, {"weight": w_out, "sign": -1}) for i in range(N))
    return graph


def type_graph(network: MemoryNetwork, *, dale: DaleNetwork | None = None, max_types: int = 5000) -> nx.DiGraph:
    """The row-type quotient graph: one node per row type (k nodes), edges ``t -> s`` with the type-to-type weights.

    Node attributes: ``count`` (units of the type), ``pattern`` (its row, e.g. ``"100000"``),
    ``patterns`` (the memories it is active in) and, with `dale`, ``population`` (one more node,
    ``"I"``, stands for the N_I inhibitory units). Edge attributes: ``weight`` (one synapse
    ``W[i, j]``, i of type s, j of type t), ``sign``, ``input = count_t * weight`` (what one unit of
    type s receives from all of type t: the quotient matrix, whose spectrum is the nonzero spectrum
    of W) and ``total = count_s * count_t * weight`` (the sum of the block of W: the totals add up to
    the sum of all entries of W). Exact zeros are left out.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(1000, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> g = type_graph(net)
    >>> g.number_of_nodes(), sorted(count for _, count in g.nodes(data="count"))
    (7, [40, 160, 160, 160, 160, 160, 160])
    """
    network = check_network(network)
    max_types = check_positive_int("max_types", max_types)
    dale = _check_dale(dale, network)
    types = network.row_types
    weights = _type_weights(network, dale, max_types)
    N, k = network.n_units, types.n_types
    rows, counts = types.rows, types.counts
    graph = nx.DiGraph(kind="types", n_units=N, n_patterns=network.n_patterns, n_types=k)
    for s in range(k):
        attributes = {
            "count": int(counts[s]),
            "pattern": "".join("1" if bit else "0" for bit in rows[s]),
            "patterns": _memberships(rows[s]),
        }
        if dale is not None:
            attributes["population"] = "E"
        graph.add_node(s, **attributes)
    for s, t in zip(*np.nonzero(weights)):
        w = float(weights[s, t])
        graph.add_edge(
            int(t),
            int(s),
            weight=w,
            sign=1 if w > 0 else -1,
            input=float(counts[t] * w),
            total=float(counts[s] * counts[t] * w),
        )
    if dale is not None:
        n_I, inhibitory = dale.n_inhibitory, k
        graph.add_node(inhibitory, count=n_I, pattern="", patterns="", population="I")
        w_in, w_out = 1.0 / N, -dale.w_EI / n_I
        for s in range(k):
            n_s = int(counts[s])
            graph.add_edge(s, inhibitory, weight=w_in, sign=1, input=n_s * w_in, total=n_I * n_s * w_in)
            if w_out != 0.0:
                graph.add_edge(inhibitory, s, weight=w_out, sign=-1, input=n_I * w_out, total=n_s * n_I * w_out)
    return graph


def _real_array(name: str, value: object, allowed: str = "a real array") -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise InvalidType(f"`{name}` must be {allowed}; got {type(value).__name__} of dtype {array.dtype}")
    return array.astype(float)


def is_irreducible(network: MemoryNetwork | np.ndarray, slope_upper: np.ndarray, *, rtol: float = 0.0) -> bool:
    """Whether ``|W| K⁺`` is irreducible (its support graph strongly connected), K⁺ = diag(slope_upper).

    The Perron–Frobenius arguments of the Metzler certificates (theory.md §5) assume it. Only the
    support matters: ``(|W| K⁺)_ij != 0`` iff ``W_ij != 0`` and ``K⁺_j > 0``. For a network it is
    decided on the k row types by the strongly connected components of the support graph
    (scipy.sparse.csgraph; the verdict of :func:`networkx.is_strongly_connected`) (the unit graph is the
    type graph with every type blown up to its units, so both are strongly connected together;
    a single type needs a nonzero self-weight when it has more than one unit).

    Parameters
    ----------
    network : MemoryNetwork or numpy.ndarray
        A design, or a square weight matrix W (n x n; a hand-made example, say).
    slope_upper : array_like
        K⁺ >= 0: per unit (length N) or, for a network with k < N row types, per row type (length
        k, in the order of ``network.row_types``).
    rtol : float, default 0.0
        Weights with ``|W_ij| <= rtol max |W|`` count as zero.

    Examples
    --------
    >>> is_irreducible(np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones(2))   # upper triangular
    False
    >>> is_irreducible(np.array([[0.0, 2.0], [-1.0, 0.0]]), np.ones(2))
    True
    """
    rtol = check_finite_float("rtol", rtol)
    if rtol < 0:
        raise InvalidInput(f"`rtol` must be >= 0; got {rtol!r}")
    K = _real_array("slope_upper", slope_upper)
    if K.ndim != 1 or not np.all(np.isfinite(K)) or np.any(K < 0):
        raise InvalidInput(f"`slope_upper` must be a 1-D array of finite slope bounds >= 0; got {slope_upper!r}")
    if isinstance(network, MemoryNetwork):
        N, k = network.n_units, network.row_types.n_types
        if K.shape not in ((N,), (k,)):
            raise InvalidInput(
                f"`slope_upper` must have length N={N} (per unit) or k={k} (per row type); got shape {K.shape}"
            )
        weights = _type_weights(network, None, max(k, 1))
        if K.shape == (N,):  # a zero slope anywhere leaves that unit's column of |W|K⁺ empty
            zero = np.bincount(network.row_types.index, weights=(K == 0), minlength=k) > 0
            K = np.where(zero, 0.0, K[network.type_representatives])
        single = N
    else:
        weights = _real_array("network", network, "a MemoryNetwork or a real square weight matrix")
        if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or weights.size == 0:
            raise InvalidInput(
                f"`network` must be a MemoryNetwork or a square weight matrix; got shape {weights.shape}"
            )
        if K.shape != (weights.shape[0],):
            raise InvalidInput(f"`slope_upper` must have length {weights.shape[0]}; got shape {K.shape}")
        single = weights.shape[0]
    if not np.all(np.isfinite(weights)):
        raise InvalidInput("`network` weights must be finite")
    support = (np.abs(weights) > rtol * float(np.max(np.abs(weights)))) & (K[None, :] > 0)
    if support.shape[0] == 1:
        return bool(single == 1 or support[0, 0])
    # The strongly connected components of the support graph (i -> j where entry (i, j) is nonzero),
    # computed by scipy's compiled search on the sparse support: the same verdict as
    # networkx.is_strongly_connected on that graph (tested), without building k^2 Python edges
    # (0.6 s at k = 569 row types, 20 s at k = 3041; a certificate records this on every build).
    n_components, _ = scipy.sparse.csgraph.connected_components(
        scipy.sparse.csr_matrix(support), directed=True, connection="strong"
    )
    return bool(n_components == 1)


# ----------------------------------------------------------------------------------------------
# Retrieval transitions
# ----------------------------------------------------------------------------------------------


def transition_graph(result: RetrievalResult) -> nx.DiGraph:
    """Where the cues of every memory end: an edge ``"memory mu" -> final class`` with its count.

    Nodes ``"memory 0"``, ..., ``"memory P-1"`` (``kind="memory"``, ``index``) and the final states
    that occur (``"quiescent"``, ``"all-on"``, ``"none"``; ``kind="state"``); cues not made from a
    stored memory start at ``"not stored"`` (``kind="cue"``). A cue that ends at memory nu adds to the
    edge to ``"memory nu"`` (a self-loop is a correct retrieval). Edge attributes: ``count`` and
    ``fraction`` (of the cues from that source). Node attribute ``cues``: cues from that node.

    Examples
    --------
    >>> import assocrate as aa
    >>> net = aa.design(aa.equal_overlap_patterns(200, 0.2), aa.Sigmoid(4.8, 0.2), -0.3, 0.95)
    >>> result = aa.retrieve(net, aa.make_cues(net, "delete", 0.4, trials=2, seed=0), t_max=5.0, seed=0)
    >>> g = transition_graph(result)
    >>> g.edges["memory 2", "memory 2"]["count"], g.number_of_edges()
    (2, 8)
    """
    if not isinstance(result, RetrievalResult):
        raise InvalidType(
            f"`result` must be a RetrievalResult (see assocrate.retrieval.retrieve); got {type(result).__name__}"
        )
    n_patterns = int(result.overlaps.shape[1])
    graph = nx.DiGraph(kind="transitions", n_cues=int(result.n_cues), cue=str(result.cue), sigma=float(result.sigma))
    for mu in range(n_patterns):
        graph.add_node(f"memory {mu}", kind="memory", index=mu, cues=0)
    for cued, label, matched in zip(result.cued.tolist(), result.labels.tolist(), result.matched.tolist()):
        source = f"memory {cued}" if cued >= 0 else "not stored"
        if source not in graph:
            graph.add_node(source, kind="cue", index=-1, cues=0)
        target = f"memory {matched}" if matched >= 0 else str(label)
        if target not in graph:
            graph.add_node(target, kind="state", index=-1, cues=0)
        graph.nodes[source]["cues"] += 1
        if graph.has_edge(source, target):
            graph.edges[source, target]["count"] += 1
        else:
            graph.add_edge(source, target, count=1)
    for source, _, data in graph.edges(data=True):
        data["fraction"] = data["count"] / graph.nodes[source]["cues"]
    return graph


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------

_WRITERS = {".graphml": nx.write_graphml, ".gexf": nx.write_gexf}
#: The file suffixes :func:`write_graph` writes.
GRAPH_SUFFIXES = tuple(sorted(_WRITERS))


def write_graph(graph: nx.Graph, path: str | os.PathLike) -> Path:
    """Write `graph` atomically as GraphML (``.graphml``) or GEXF (``.gexf``) with the networkx writers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> g = nx.DiGraph(kind="demo"); g.add_edge(0, 1, weight=-0.5, sign=-1)
    >>> target = write_graph(g, pathlib.Path(tempfile.mkdtemp()) / "g.graphml")
    >>> nx.read_graphml(target, node_type=int).edges[0, 1]["weight"]
    -0.5
    """
    if not isinstance(graph, nx.Graph):
        raise InvalidType(f"`graph` must be a networkx graph; got {type(graph).__name__}")
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise InvalidInput(f"`path` must end in one of {sorted(_WRITERS)}; got {str(target)!r}")
    buffer = io.BytesIO()
    writer(graph, buffer)
    return atomic_write_bytes(target, buffer.getvalue())


def graph_record(graph: nx.DiGraph) -> dict:
    """The counts of a graph of this module as a JSON-ready dict (what ``assocrate graph --json`` prints).

    A weighted graph (:func:`synaptic_graph`, :func:`type_graph`, or any DiGraph): nodes, edges by
    sign, the total weight (the ``total`` edge attribute when present, else ``weight``) and strong
    connectivity. A :func:`transition_graph`: nodes, edges, cues, correct retrievals (the
    self-loops) and every transition ``{"from", "to", "count", "fraction"}``, largest count first.
    The graph's own scalar attributes are added.

    Examples
    --------
    >>> g = nx.DiGraph(kind="demo"); g.add_edge(0, 1, weight=-0.5, sign=-1); g.add_edge(1, 0, weight=2.0, sign=1)
    >>> record = graph_record(g)
    >>> record["n_positive"], record["n_negative"], record["total_weight"], record["strongly_connected"]
    (1, 1, 1.5, True)
    """
    if not isinstance(graph, nx.DiGraph):
        raise InvalidType(f"`graph` must be a networkx DiGraph; got {type(graph).__name__}")
    attributes = {key: value for key, value in graph.graph.items() if isinstance(value, (int, float, str))}
    if graph.graph.get("kind") == "transitions":
        edges = sorted(graph.edges(data=True), key=lambda edge: (-edge[2]["count"], str(edge[0]), str(edge[1])))
        correct = sum(d["count"] for source, target, d in edges if source == target)
        stored = sum(n for node, n in graph.nodes(data="cues") if graph.nodes[node]["kind"] == "memory")
        return {
            "n_nodes": graph.number_of_nodes(),
            "n_edges": graph.number_of_edges(),
            "n_correct": int(correct),
            "success_rate": correct / stored if stored else None,
            "transitions": [
                {"from": source, "to": target, "count": int(d["count"]), "fraction": float(d["fraction"])}
                for source, target, d in edges
            ],
            **attributes,
        }
    signs = [d.get("sign", 0) for _, _, d in graph.edges(data=True)]
    return {
        "n_nodes": graph.number_of_nodes(),
        "n_edges": graph.number_of_edges(),
        "n_positive": sum(sign > 0 for sign in signs),
        "n_negative": sum(sign < 0 for sign in signs),
        "total_weight": float(sum(d.get("total", d.get("weight", 0.0)) for _, _, d in graph.edges(data=True))),
        "strongly_connected": bool(graph.number_of_nodes() > 0 and nx.is_strongly_connected(graph)),
        **attributes,
    }
