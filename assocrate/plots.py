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

__all__ = ["patterns_and_weights", "save_figure"]


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
