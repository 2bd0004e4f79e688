"""Matplotlib figures. Each function returns a :class:`matplotlib.figure.Figure`; nothing is shown.

Use :func:`save_figure` to write one atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .design import MemoryNetwork  # noqa: E402
from .io import atomic_write_bytes  # noqa: E402

__all__ = ["patterns_and_weights", "phase_diagram", "phase_diagram_panels", "save_figure"]


def save_figure(figure: Figure, path: str | os.PathLike, *, dpi: int = 130) -> Path:
    """Render `figure` (format from the suffix) and write it atomically; the figure is closed."""
    target = Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=target.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return atomic_write_bytes(target, buffer.getvalue())


def patterns_and_weights(network: MemoryNetwork, *, max_units: int = 400) -> Figure:
    """The stored patterns, the weight matrix and its spectrum in one figure.

    Units are ordered by row type so the block structure of W is visible; at most `max_units`
    units (evenly spaced after sorting) are drawn.

    Parameters
    ----------
    network : MemoryNetwork
    max_units : int, default 400
        Number of units drawn in the pattern and weight panels.
    """
    order = np.argsort(network.row_types.index, kind="stable")
    shown = order[np.linspace(0, network.n_units - 1, min(max_units, network.n_units)).astype(int)]
    patterns = network.patterns[shown]
    weights = (network.U[shown] * network.c) @ network.U[shown].T  # the submatrix W[shown, shown]

    figure, (ax_patterns, ax_weights, ax_spectrum) = plt.subplots(
        1, 3, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1, 2.2, 1.6]}
    )
    ax_patterns.imshow(patterns, aspect="auto", cmap="Greys", interpolation="nearest")
    ax_patterns.set_title(f"patterns ξ (N={network.n_units}, P={network.n_patterns})")
    ax_patterns.set_xlabel("memory μ")
    ax_patterns.set_ylabel("unit (sorted by row type)")

    limit = float(np.max(np.abs(weights))) or 1.0
    image = ax_weights.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax_weights.set_title("W: potentiation (red), depression (blue)")
    ax_weights.set_xlabel("presynaptic unit")
    ax_weights.set_ylabel("postsynaptic unit")
    figure.colorbar(image, ax=ax_weights, fraction=0.046, pad=0.04)

    spectrum = network.eigenvalues_of_weights().grouped()
    nonzero = np.abs(spectrum.values) > 1e-12 * max(1.0, abs(spectrum.max))
    ax_spectrum.stem(spectrum.values[nonzero], spectrum.multiplicities[nonzero], basefmt=" ")
    ax_spectrum.axvline(network.alpha, color="tab:red", ls="--", lw=1, label=f"α = {network.alpha:.3g}")
    ax_spectrum.axvline(network.gamma, color="tab:blue", ls=":", lw=1, label=f"γ = {network.gamma:.3g}")
    ax_spectrum.set_title("nonzero eigenvalues of W")
    ax_spectrum.set_xlabel("eigenvalue")
    ax_spectrum.set_ylabel("multiplicity")
    ax_spectrum.legend(loc="best", fontsize=8)
    figure.suptitle(network_title(network), fontsize=10)
    figure.tight_layout()
    return figure


def network_title(network: MemoryNetwork) -> str:
    """A one-line description used as a figure title."""
    return (
        f"{network.activation.name} ρ={network.activation.rho:g}, x*={network.activation.threshold:g}; "
        f"a={network.a:g}, b={network.b:g}; α'={network.alpha_prime:.4g}, β={network.beta:.4g}, γ={network.gamma:.4g}"
    )


def phase_diagram(dataset, *, ax=None) -> Figure:
    """The local-stability phase diagram of :func:`assocrate.sweeps.phase_diagram`, as in the paper.

    Cells are filled stable (blue) or unstable (red) by the exact spectrum, grey where the design
    does not exist; the dashed line bounds the region where the sufficient condition
    ``eta max(lambda_max(W), 0) < 1`` holds, the dotted line the region where the instability
    condition holds.

    Parameters
    ----------
    dataset : xarray.Dataset
        From :func:`assocrate.sweeps.phase_diagram` (dims ``rho``, ``threshold``).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned); a new figure by default.
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
        figure, ax = plt.subplots(figsize=(5.6, 4.4))
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
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("`datasets` must hold at least one phase diagram; got none")
    nrows = -(-len(datasets) // ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(5.6 * ncols, 4.4 * nrows), squeeze=False)
    for ax, dataset in zip(axes.flat, datasets):
        phase_diagram(dataset, ax=ax)
    for ax in list(axes.flat)[len(datasets) :]:
        ax.set_visible(False)
    figure.tight_layout()
    return figure
