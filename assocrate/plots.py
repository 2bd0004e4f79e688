"""Matplotlib figures. Each function returns a :class:`matplotlib.figure.Figure`; nothing is shown.

Figures are built as :class:`~matplotlib.figure.Figure` objects, not through :mod:`matplotlib.pyplot`:
importing this module leaves the user's backend alone, no figure is registered with pyplot's
global state, and :func:`save_figure` writes any figure (atomically) under any backend, headless
included. To show one in a notebook or a window, display it or attach it to pyplot yourself.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ._figures import CLASS_COLORS, basin_profile_plot, capacity_plot, named_results, panels
from ._images import cue_snapshots, letter_recall
from .core.design import MemoryNetwork
from .errors import InvalidInput, InvalidType
from .io import atomic_write_bytes

__all__ = [
    "basin_profile_plot",
    "capacity_plot",
    "cue_snapshots",
    "letter_recall",
    "network_title",
    "overlap_time_courses",
    "patterns_and_weights",
    "phase_diagram",
    "phase_diagram_panels",
    "save_figure",
    "transition_graph_plot",
]


def save_figure(figure: Figure, path: str | os.PathLike, *, dpi: int = 130) -> Path:
    """Render `figure` (format from the suffix, PNG without one) and write it atomically.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    path : str or os.PathLike
        Destination; ``.png``, ``.pdf``, ``.svg`` or any other format matplotlib can write.
    dpi : int, default 130

    Returns
    -------
    pathlib.Path
        The destination.
    """
    target = Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=target.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(target, buffer.getvalue())


def patterns_and_weights(network: MemoryNetwork, *, max_units: int = 400) -> Figure:
    """The stored patterns, the weight matrix and its spectrum in one figure.

    Units are ordered by row type so the block structure of W is visible; at most `max_units`
    units (evenly spaced after sorting) are drawn, and the figure says how many and how they
    were chosen. The weights use a diverging map centred at 0 with a labelled colour bar; the
    spectrum (of the whole W) gives each nonzero eigenvalue's multiplicity, or, for a
    non-symmetric W (projection rule, unequal activities), the nonzero eigenvalues in the complex
    plane (:func:`assocrate.stability.reduced_weight_eigenvalues`).

    Parameters
    ----------
    network : MemoryNetwork
    max_units : int, default 400
        Number of units drawn in the pattern and weight panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import CenteredNorm
    from matplotlib.ticker import MaxNLocator

    order = np.argsort(network.row_types.index, kind="stable")
    shown = order[np.linspace(0, network.n_units - 1, min(max_units, network.n_units)).astype(int)]
    patterns = network.patterns[shown]
    weights = (network.L[shown] * network.c) @ network.R[shown].T  # the submatrix W[shown, shown]
    if shown.size < network.n_units:
        sample = (f"{shown.size} of {network.n_units} units shown: evenly spaced in the order sorted by row type "
                  f"(every {network.n_units / shown.size:.3g}th unit)")
    else:
        sample = f"all {network.n_units} units, sorted by row type"

    figure = Figure(figsize=(13, 4.6))
    ax_patterns, ax_weights, ax_spectrum = figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 2.2, 1.6]})
    ax_patterns.imshow(patterns, aspect="auto", cmap="Greys", interpolation="nearest")
    ax_patterns.set_title(f"patterns ξ (N={network.n_units}, P={network.n_patterns})\nblack: active (ξ = 1)",
                          fontsize=9)
    ax_patterns.set_xlabel("memory μ")
    ax_patterns.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_patterns.set_ylabel(f"unit ({shown.size} shown, sorted by row type)")

    limit = float(np.max(np.abs(weights))) or 1.0
    image = ax_weights.imshow(weights, cmap="RdBu_r", norm=CenteredNorm(0.0, halfrange=limit),
                              interpolation="nearest")
    ax_weights.set_title("weights W[i, j] among the units shown", fontsize=9)
    ax_weights.set_xlabel("presynaptic unit j (index among those shown)")
    ax_weights.set_ylabel("postsynaptic unit i")
    bar = figure.colorbar(image, ax=ax_weights, fraction=0.046, pad=0.04)
    bar.set_label("W[i, j]  (red > 0: potentiation, blue < 0: depression; white = 0)", fontsize=8)

    if network.is_symmetric:
        _real_spectrum_panel(ax_spectrum, network)
    else:
        _complex_spectrum_panel(ax_spectrum, network)
    figure.text(0.5, 0.005, sample, ha="center", va="bottom", fontsize=8, color="0.3")
    figure.suptitle(network_title(network), fontsize=10)
    figure.tight_layout(rect=(0, 0.035, 1, 1))
    return figure


def _real_spectrum_panel(ax, network: MemoryNetwork) -> None:
    """The nonzero eigenvalues of a symmetric W with their multiplicities (α and γ marked for the betteti rule)."""
    from matplotlib.ticker import MaxNLocator

    spectrum = network.eigenvalues_of_weights().grouped()
    nonzero = np.abs(spectrum.values) > 1e-12 * max(1.0, abs(spectrum.max))
    zeros = int(spectrum.multiplicities[~nonzero].sum())
    ax.stem(spectrum.values[nonzero], spectrum.multiplicities[nonzero], basefmt=" ")
    for value, count in zip(spectrum.values[nonzero], spectrum.multiplicities[nonzero]):
        if count > 1:  # repeated eigenvalues are named; the axis gives the rest
            ax.annotate(f"×{count}", (value, count), textcoords="offset points", xytext=(0, 4),
                        ha="center", fontsize=8)
    if network.rule == "betteti":
        ax.axvline(network.alpha, color="tab:red", ls="--", lw=1, label=f"α = {network.alpha:.3g}")
        ax.axvline(network.gamma, color="tab:blue", ls=":", lw=1, label=f"γ = {network.gamma:.3g}")
        ax.legend(loc="upper center", fontsize=8)
    ax.set_title(f"nonzero eigenvalues of W (all {network.n_units} units;\n"
                 f"eigenvalue 0 with multiplicity {zeros} not drawn)", fontsize=9)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("multiplicity")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1.2 * max(1, int(spectrum.multiplicities[nonzero].max(initial=1))) + 0.5)


def _complex_spectrum_panel(ax, network: MemoryNetwork) -> None:
    """The nonzero eigenvalues of a non-symmetric W in the complex plane."""
    from .stability.general import reduced_weight_eigenvalues

    values = reduced_weight_eigenvalues(network)
    nonzero = np.abs(values) > 1e-12 * max(1.0, float(np.max(np.abs(values), initial=0.0)))
    ax.scatter(values[nonzero].real, values[nonzero].imag, color="tab:blue", zorder=3)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_title(f"nonzero eigenvalues of the non-symmetric W (all {network.n_units} units;\n"
                 f"eigenvalue 0 with multiplicity {network.n_units - int(nonzero.sum())} not drawn)", fontsize=9)
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")


def network_title(network: MemoryNetwork) -> str:
    """A one-line description used as a figure title."""
    head = f"{network.activation.name} ρ={network.activation.rho:g}, x*={network.activation.threshold:g}; "
    if network.rule != "betteti":
        kind = "symmetric" if network.is_symmetric else "non-symmetric"
        return head + f"a={network.a:g}, b={network.b:g}; {network.rule} rule, {kind} W of rank {network.n_patterns}"
    return head + (
        f"a={network.a:g}, b={network.b:g}; α'={network.alpha_prime:.4g}, β={network.beta:.4g}, γ={network.gamma:.4g}"
    )


def phase_diagram(dataset, *, ax=None) -> Figure:
    """The local-stability phase diagram of :func:`assocrate.sweeps.phase_diagram`, as in the paper.

    Cells are filled stable (blue) or unstable (red) by the exact spectrum, grey where the design
    does not exist; the dashed line bounds the region where the sufficient condition
    ``eta max(lambda_max(W), 0) < 1`` holds, the dotted line the region where the instability
    condition holds. With a ``proof`` variable (``phase_diagram(prove=True)``) the legend counts the
    cells proved stable and unstable, and undecided cells are marked with a black x.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`assocrate.sweeps.phase_diagram` (dims ``rho``, ``threshold``).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned); a new figure by default.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of `ax` when given, else a new one.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rho = np.asarray(dataset["rho"].values, dtype=float)
    threshold = np.asarray(dataset["threshold"].values, dtype=float)
    valid = np.asarray(dataset["valid"].values, dtype=bool)
    unstable = np.asarray(dataset["unstable"].values, dtype=bool)
    category = np.where(valid, np.where(unstable, 1, 0), 2).T  # rows: threshold, columns: rho
    if ax is None:
        figure = Figure(figsize=(5.6, 4.4))
        ax = figure.subplots()
    else:
        figure = ax.figure
    colors = ListedColormap(["#9ecae1", "#fc9272", "#d9d9d9"])
    ax.pcolormesh(rho, threshold, category, cmap=colors, vmin=-0.5, vmax=2.5, shading="nearest")
    handles = [Patch(color="#9ecae1", label="stable (exact spectrum)"), Patch(color="#fc9272", label="unstable")]
    if not valid.all():
        handles.append(Patch(color="#d9d9d9", label="no design (φ(b) ≤ φ(a))"))
    for name, level, style, label in (
        ("sufficient_value", 1.0, "--", "sufficient condition holds below/inside"),
        ("instability_value", 0.0, ":", "instability condition holds beyond"),
    ):
        values = np.ma.masked_invalid(np.asarray(dataset[name].values, dtype=float).T)
        if values.count() and values.min() < level < values.max() and min(values.shape) > 1:
            ax.contour(rho, threshold, values, levels=[level], colors="k", linestyles=style, linewidths=1.4)
        handles.append(Line2D([], [], color="k", ls=style, label=label.split(" holds")[0]))
    if "proof" in dataset:
        proof = np.asarray(dataset["proof"].values)
        attrs = dataset["proof"].attrs
        code = dict(zip(attrs["flag_meanings"].split(), np.asarray(attrs["flag_values"]).tolist()))
        open_i, open_j = np.nonzero(proof == code["undecided"])
        ax.plot(rho[open_i], threshold[open_j], "kx", ms=5)
        handles.append(Line2D([], [], color="k", marker="x", ls="", label=(
            f"proved exactly: {int(np.sum(proof == code['stable-proved']))} stable, "
            f"{int(np.sum(proof == code['unstable-proved']))} unstable; x undecided ({open_i.size})")))
    ax.set_xlabel("gain ρ")
    ax.set_ylabel("threshold x*")
    attrs = dataset.attrs
    gamma = np.asarray(dataset["gamma"].values, dtype=float)
    sign = "γ < 0" if np.nanmax(gamma) < 0 else "γ > 0" if np.nanmin(gamma) > 0 else "γ of both signs"
    ax.set_title(
        f"{attrs.get('activation', '')}, a={attrs.get('a', float('nan')):g}, b={attrs.get('b', float('nan')):g} "
        f"({sign}); {attrs.get('ensemble', '')} N={attrs.get('N', '')}, q={attrs.get('q', float('nan')):.3g}",
        fontsize=9,
    )
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.85)
    return figure


def phase_diagram_panels(datasets, *, ncols: int = 2) -> Figure:
    """Several phase diagrams side by side (e.g. both activations x both signs of gamma).

    Parameters
    ----------
    datasets : sequence of xarray.Dataset
        From :func:`assocrate.sweeps.phase_diagram`, drawn in order, row by row.
    ncols : int, default 2

    Returns
    -------
    matplotlib.figure.Figure
    """
    datasets = list(datasets)
    if not datasets:
        raise InvalidInput("`datasets` must hold at least one phase diagram; got none")
    nrows = -(-len(datasets) // ncols)
    figure = Figure(figsize=(5.6 * ncols, 4.4 * nrows))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for ax, dataset in zip(axes.flat, datasets):
        phase_diagram(dataset, ax=ax)
    for ax in list(axes.flat)[len(datasets) :]:
        ax.set_visible(False)
    figure.tight_layout()
    return figure


# ---------------------------------------------------------------------------------------------
# Retrieval figures (assocrate.retrieval)
# ---------------------------------------------------------------------------------------------

#: Cues below this many in a group are drawn as individual traces, not as a median and a band.
_MIN_BAND = 5


def _traces(ax, times, values, color, *, ls="-", label=None) -> None:
    """The median of `values` (T, n) over its columns with their 10-90 % range, or each column when few."""
    finite = values[:, np.all(np.isfinite(values), axis=0)]
    if finite.shape[1] == 0:
        return
    if finite.shape[1] < _MIN_BAND:
        ax.plot(times, finite, color=color, ls=ls, lw=0.9, alpha=0.8)
        ax.plot([], [], color=color, ls=ls, lw=0.9, label=label)
        return
    ax.fill_between(times, np.percentile(finite, 10, axis=1), np.percentile(finite, 90, axis=1), color=color,
                    alpha=0.22 if ls == "-" else 0.12, lw=0)
    ax.plot(times, np.median(finite, axis=1), color=color, ls=ls, lw=2 if ls == "-" else 1.4, label=label)
    samples = np.linspace(0, finite.shape[1] - 1, 4).astype(int)  # a few real trajectories over the band
    ax.plot(times, finite[:, samples], color=color, ls="-", lw=0.5, alpha=0.6)


def _time_axis(times: np.ndarray, tau: float | None) -> tuple[np.ndarray, str]:
    """Times and x label: ``t / τ`` when `tau` is known, else the time in the network's units."""
    if tau is None:
        return times, "time t"
    return times / tau, "t / τ" if tau == 1 else f"t / τ (τ = {tau:g})"


#: y-axis labels of the overlap figure, by RetrievalResult.normalize.
_OVERLAP_LABELS = {
    "pattern": r"overlap  $m^\nu(t) = x\cdot\xi^\nu / |\xi^\nu|$",
    "nq": r"overlap  $m^\nu(t) = x\cdot\xi^\nu / (N q)$",
}


def overlap_time_courses(results, *, title: str | None = None, tau: float | None = None) -> Figure:
    """Overlap with the cued memory and with the other memories over time, grouped by outcome.

    Like the "average overlap" figure of Betteti et al., but a scientist's version: the cues of
    each panel are grouped by the class their trajectory ends in (cued memory, all-on, ...), so
    bimodal outcomes show as separate groups, never as a mean that no trajectory follows. Each
    group is drawn in its class colour as the median over cues (line) and the 10-90 % range
    (band) of ``m^cued(t)`` (solid) and of the other memories' overlaps (dotted); a group of
    fewer than 5 cues is drawn trace by trace. The ideal values ``phi(b)`` and
    ``(1 - q) phi(a) + q phi(b)`` are drawn as thin lines. Cues from patterns that are not stored
    contribute only to "other memories". The y label gives the overlap's normalisation
    (``result.normalize``: ``x·xi / |xi|`` or the authors' ``x·xi / (N q)``).

    Parameters
    ----------
    results : RetrievalResult, mapping of name -> RetrievalResult, or sequence of (name, result)
        One panel per result.
    title : str, optional
        Figure title.
    tau : float, optional
        The network's time constant: the time axis is then ``t / τ``. Without it the axis is the
        time in the network's own units.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    named = named_results(results, "RetrievalResult")
    figure, axes = panels(len(named), 5.4, 4.3)
    for ax, (name, result) in zip(axes, named):
        times, xlabel = _time_axis(result.times, tau)
        n_patterns, n_cues = result.overlaps.shape[1:]
        by_cue = result.overlaps.transpose(0, 2, 1)  # (T, B, P)
        for outcome in [c for c in CLASS_COLORS if np.any(result.labels == c)]:
            group = np.flatnonzero(result.labels == outcome)
            mine = group[result.cued[group] >= 0]
            cued = by_cue[:, mine, result.cued[mine]]
            mask = np.ones((group.size, n_patterns), dtype=bool)
            stored_rows = result.cued[group] >= 0
            mask[np.flatnonzero(stored_rows), result.cued[group][stored_rows]] = False
            others = by_cue[:, group][:, mask]
            color = CLASS_COLORS[outcome]
            _traces(ax, times, others, color, ls=":")
            if mine.size:
                _traces(ax, times, cued, color, label=f"cues ending {outcome} ({mine.size})")
            elif group.size:
                ax.plot([], [], color=color, ls=":", label=f"non-stored cues ending {outcome} ({group.size})")
        ax.axhline(result.ideal_cued, color="k", ls="--", lw=0.8)
        ax.axhline(result.ideal_other, color="k", ls="-.", lw=0.8)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="0.3", lw=2), Line2D([], [], color="0.3", ls=":", lw=1.4),
                    Line2D([], [], color="k", ls="--", lw=0.8), Line2D([], [], color="k", ls="-.", lw=0.8)]
        labels += ["overlap with the cued memory", "overlap with the other memories",
                   f"ideal φ(b) = {result.ideal_cued:.3g}", f"ideal (1−q)φ(a)+qφ(b) = {result.ideal_other:.3g}"]
        ax.legend(handles, labels, loc="center right", fontsize=7, framealpha=0.85)
        rate = "" if not np.isfinite(result.success_rate) else f"success {result.success_rate:.0%} of {n_cues} cues"
        ax.set_title(f"{name}\n{rate}".strip(), fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylim(-0.03, 1.08)
    labels = [_OVERLAP_LABELS[getattr(result, "normalize", "pattern")] for _, result in named]
    for k, (ax, label) in enumerate(zip(axes, labels)):
        if k == 0 or label != labels[0]:  # one label, unless the panels normalise differently
            ax.set_ylabel(label)
    sigma = named[0][1].sigma
    figure.suptitle(title or f"overlaps, cues {named[0][1].cue}, σ = {sigma:g}", fontsize=10)
    figure.text(0.5, 0.005, "lines: median over the cues of a group (colour: class the trajectory ends in); "
                "bands: 10–90 % range over those cues; thin lines: 4 individual traces; groups of < 5 cues: every trace", ha="center", va="bottom",
                fontsize=7, color="0.3")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure


def transition_graph_plot(graph, *, ax=None, title: str | None = None) -> Figure:
    """Draw a :func:`assocrate.graphs.transition_graph`: memories on a circle, final states inside it.

    Each node shows the cues that ended where they started (its self-loop: correct retrievals)
    out of the cues it sent, its shade darker the larger that fraction; an arrow's width and
    label give the count of cues of one memory that ended elsewhere.

    Parameters
    ----------
    graph : networkx.DiGraph
        A transition graph (``graph.graph["kind"] == "transitions"``).
    ax : matplotlib.axes.Axes, optional
        Draw here; a new figure otherwise.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    attributes = getattr(graph, "graph", None)
    if not isinstance(attributes, dict) or attributes.get("kind") != "transitions":
        raise InvalidType("`graph` must be a transition graph (see assocrate.graphs.transition_graph)")
    if ax is None:
        figure = Figure(figsize=(6.5, 6.5))
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    memories = [n for n, kind in graph.nodes(data="kind") if kind == "memory"]
    others = [n for n in graph.nodes if n not in memories]
    position = {}
    for i, node in enumerate(memories):
        angle = 2 * math.pi * i / len(memories) + math.pi / 2
        position[node] = (math.cos(angle), math.sin(angle))
    for i, node in enumerate(others):  # inside the ring: every arrow to a final state points inwards
        position[node] = (0.5 * (i - (len(others) - 1) / 2), 0.0)
    largest = max((d["count"] for _, _, d in graph.edges(data=True)), default=1)
    for source, target, data in graph.edges(data=True):
        if source == target:
            continue
        arrow = {"arrowstyle": "-|>", "color": "tab:red", "lw": 0.8 + 3.0 * data["count"] / largest,
                 "shrinkA": 14, "shrinkB": 14, "connectionstyle": "arc3,rad=0.15"}
        ax.annotate("", xy=position[target], xytext=position[source], arrowprops=arrow)
        mid = np.add(position[source], position[target]) / 2
        ax.text(mid[0], mid[1], str(data["count"]), color="tab:red", fontsize=8, ha="center", va="center", zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    for node in graph.nodes:
        x, y = position[node]
        cues = graph.nodes[node]["cues"]
        correct = graph.edges[node, node]["count"] if graph.has_edge(node, node) else 0
        color = "tab:blue" if graph.nodes[node]["kind"] == "memory" else "0.6"
        ax.scatter([x], [y], s=900, color=color, alpha=0.25 + (0.75 * correct / cues if cues else 0.0), zorder=3)
        ax.text(x, y, node.replace("memory ", "μ=") + (f"\n{correct}/{cues}" if cues else ""), ha="center",
                va="center", fontsize=8, zorder=4)
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.35, 1.35)
    ax.set_aspect("equal")
    ax.axis("off")
    n_cues = attributes.get("n_cues", "?")
    ax.set_title(title or f"retrieval transitions ({n_cues} cues, {attributes.get('cue', '')}): cued memory → final state",
                 fontsize=9)
    return figure
