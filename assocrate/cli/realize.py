"""``assocrate discretize`` and ``graph``: the design as a discrete-time CTRNN, and its graph views (theory.md §6b).

The library is imported at the start of each command so that ``assocrate --help`` stays quick
(networkx and the retrieval engine are loaded only when ``graph`` runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from .options import (
    CueOption,
    DurationOption,
    FigureOption,
    JsonOption,
    NetworkArgument,
    choices,
    echo_result,
    output_path,
    parse_cue_option,
)

__all__ = ["discretize_command", "graph_command"]

#: The state ``--form`` updates: the pre-activation (nn4n) or the rates.
FormName = choices("FormName", "current", "rate")
#: The graph ``--kind``: the unit graph, the row-type quotient graph, or the retrieval transitions.
GraphKind = choices("GraphKind", "types", "synaptic", "transition")

NInhibitoryOption = Annotated[int, typer.Option("--n-inhibitory", min=1, help="Inhibitory units N_I (with --dale).")]
TauInhibitoryOption = Annotated[
    Optional[float], typer.Option("--tau-inhibitory", help="Their time constant tau_I > 0 (with --dale; default tau).")
]


def discretize_command(
    network_file: NetworkArgument,
    dt: Annotated[float, typer.Option("--dt", help="Time step dt > 0 (gamma = dt / tau).")],
    form: Annotated[
        FormName, typer.Option("--form", help="Update the pre-activation v (nn4n, 'current') or the rates x.")
    ] = FormName.current,
    export: Annotated[
        Optional[Path],
        typer.Option("--export", help="Write the CTRNN arrays (W_hid factors, W_in, b_hid, W_out, gamma) to this .npz."),
    ] = None,
    dense: Annotated[bool, typer.Option("--dense", help="With --export: also W_hid as an N x N array (N <= 20000).")] = False,
    dale: Annotated[
        bool, typer.Option("--dale", help="With --export: also the Dale realization (E/I sign mask, E/I weights).")
    ] = False,
    n_inhibitory: NInhibitoryOption = 1,
    tau_inhibitory: TauInhibitoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Discrete-time CTRNN of a design: gamma = dt/tau, the map's spectral radius per memory, dt_max.

    Every memory of the map v -> (1 - gamma) v + gamma W f(v) is stable for dt < dt_max (exact,
    from the reduced spectra). Exits 0 whatever the verdicts (they are the output), 2 on invalid input.
    """
    from ..ctrnn import discrete_stability, discretize, export_ctrnn
    from ..io import load_network

    if export is None and (dense or dale):
        raise typer.BadParameter("needs --export (they choose what the export holds)", param_hint="'--dense'/'--dale'")
    output_path("--export", export)
    network = load_network(network_file)
    discrete = discretize(network, dt, form=form.value)
    result = discrete_stability(discrete)
    written = None
    if export is not None:
        realization = None
        if dale:
            from ..dale import dale_realization

            realization = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
        written = export_ctrnn(discrete, export, dense=dense, dale=realization)
    record = {**result.to_record(), "network": str(network_file), "export": None if written is None else str(written)}
    lines = [discrete.summary(), result.summary(), None if written is None else f"CTRNN arrays written to {written}"]
    echo_result(record, lines, as_json=as_json)


def _graph_text(kind: str, record: dict) -> str:
    if kind != "transition":
        return (
            f"{kind} graph: {record['n_nodes']} nodes, {record['n_edges']} edges "
            f"({record['n_positive']} positive, {record['n_negative']} negative), "
            f"total weight {record['total_weight']:.6g}, strongly connected: {record['strongly_connected']}"
        )
    rate = "n/a" if record["success_rate"] is None else f"{record['success_rate']:.0%}"
    confusions = [t for t in record["transitions"] if t["from"] != t["to"]]
    listed = "; ".join(f"{t['from']} -> {t['to']}: {t['count']}" for t in confusions[:8])
    return (
        f"transition graph ({record['cue']}, sigma={record['sigma']:g}): {record['n_cues']} cues, "
        f"{record['n_correct']} retrieved correctly ({rate})\n"
        f"  confusions: {listed or 'none'}" + (" ..." if len(confusions) > 8 else "")
    )


def graph_command(
    network_file: NetworkArgument,
    kind: Annotated[
        GraphKind,
        typer.Option(
            "--kind",
            help="types (row-type quotient graph, any N), synaptic (unit graph, small N) or transition "
            "(cued memory -> final state of a retrieval run with --cue/--trials/--sigma/--seed/--t-max).",
        ),
    ] = GraphKind.types,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the graph (.graphml or .gexf).")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="synaptic: keep edges with |w| > threshold.")] = 0.0,
    max_units: Annotated[int, typer.Option("--max-units", min=1, help="synaptic: refuse larger N.")] = 5000,
    dale: Annotated[
        bool, typer.Option("--dale", help="types/synaptic: graph of the Dale realization (E and I units).")
    ] = False,
    cue: CueOption = "delete:0.4",
    trials: Annotated[int, typer.Option("--trials", min=1, help="transition: cues per stored memory.")] = 1,
    sigma: Annotated[float, typer.Option("--sigma", help="transition: dynamical noise sigma >= 0.")] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="transition: seed of the cues and the noise.")] = 0,
    t_max: DurationOption = 10.0,
    figure: FigureOption = None,
    as_json: JsonOption = False,
) -> None:
    """Graph views of a design (networkx): the row-type graph, the synaptic graph or the retrieval transitions.

    Exits 0, 2 on invalid input (including a synaptic graph of too many units).
    """
    from ..graphs import GRAPH_SUFFIXES, graph_record, synaptic_graph, transition_graph, type_graph, write_graph
    from ..io import load_network

    transition = kind.value == "transition"
    if out is not None and out.suffix.lower() not in GRAPH_SUFFIXES:
        raise typer.BadParameter(f"must end in .graphml or .gexf; got {str(out)!r}", param_hint="'--out'")
    if dale and transition:
        raise typer.BadParameter("draws the E/I units: use it with --kind types or synaptic", param_hint="'--dale'")
    if figure is not None and not transition:
        raise typer.BadParameter("draws the transition graph: use it with --kind transition", param_hint="'--figure'")
    output_path("--out", out)
    output_path("--figure", figure)
    cue_spec = parse_cue_option(cue) if transition else None
    network = load_network(network_file)
    if transition:
        from ..retrieval import make_cues, retrieve

        level_kind, level, duration = cue_spec
        cues = make_cues(network, level_kind, level, trials=trials, duration=duration, seed=seed)
        graph = transition_graph(retrieve(network, cues, t_max=t_max, sigma=sigma, seed=np.random.default_rng(seed)))
    else:
        realization = None
        if dale:
            from ..dale import dale_realization

            realization = dale_realization(network)
        if kind.value == "synaptic":
            graph = synaptic_graph(network, threshold=threshold, max_units=max_units, dale=realization)
        else:
            graph = type_graph(network, dale=realization)
    written = None if out is None else write_graph(graph, out)
    record = {**graph_record(graph), "kind": kind.value, "network": str(network_file)}
    record["out"] = None if written is None else str(written)
    if transition:
        record["seed"] = seed
    if figure is not None:
        from ..plots import save_figure, transition_graph_plot

        save_figure(transition_graph_plot(graph), figure)
        record["figure"] = str(figure)
    lines = [
        _graph_text(kind.value, record),
        None if written is None else f"graph written to {written}",
        None if figure is None else f"figure written to {figure}",
    ]
    echo_result(record, lines, as_json=as_json)
