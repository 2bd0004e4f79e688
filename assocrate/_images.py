"""Figures of 2-D patterns: letter recall and the state snapshots of one cue (any image shape).

Re-exported by :mod:`assocrate.plots` (use them from there). Like every figure of assocrate they are
:class:`matplotlib.figure.Figure` objects built without pyplot.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .errors import InvalidInput

__all__ = ["cue_snapshots", "letter_recall"]


def letter_recall(letters, cues, result, *, max_letters: int = 8) -> Figure:
    """Stored pattern, cue and recalled state of 2-D (image) patterns, one column per cue.

    Only the image part of each pattern is drawn; units beyond it (e.g. random padding) are not,
    and the title says how many there are.

    Parameters
    ----------
    letters : LetterPatterns
        The stored letters (from :func:`assocrate.datasets.letter_patterns`).
    cues : CueSet
        The cues that were run.
    result : RetrievalResult
        The run from `cues`.
    max_letters : int, default 8
        Columns drawn (the first cues).

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_cols = min(max_letters, result.n_cues)
    figure = Figure(figsize=(1.25 * n_cols + 0.8, 4.6))
    axes = figure.subplots(3, n_cols, squeeze=False)
    rows = [("stored", lambda j: letters.image(letters.patterns[:, cues.cued[j]].astype(float))),
            ("cue", lambda j: letters.image(cues.x0[:, j])),
            ("recalled", lambda j: letters.image(result.final_states[:, j]))]
    for r, (name, image) in enumerate(rows):
        for j in range(n_cols):
            ax = axes[r, j]
            ax.imshow(image(j), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(name, fontsize=9)
            if r == 2:
                ok = result.labels[j] == "cued memory"
                ax.set_xlabel(result.labels[j], fontsize=7, color="tab:green" if ok else "tab:red")
            if r == 0:
                ax.set_title(letters.letters[cues.cued[j]], fontsize=10)
    n_extra = letters.patterns.shape[0] - letters.n_pixels
    hidden = f"; the other {n_extra} units (random padding) are stored and simulated but not drawn" if n_extra else ""
    figure.suptitle(f"stored pattern, cue and recalled state: the {letters.shape[0]}×{letters.shape[1]} image part "
                    f"of each pattern{hidden}\ncue {cues.spec}, state at t = {result.times[-1]:g}", fontsize=8)
    figure.tight_layout()
    return figure


def cue_snapshots(trajectory, shape: tuple[int, int], *, column: int = 0, n_snapshots: int = 6,
                  stored: np.ndarray | None = None, units: np.ndarray | None = None) -> Figure:
    """State snapshots of one cue's trajectory drawn as 2-D images (patterns that are pictures).

    Parameters
    ----------
    trajectory : EulerMaruyamaResult
        From :func:`assocrate.dynamics.euler_maruyama` with whole states recorded (no `readout`).
    shape : (int, int)
        Image shape (any rows x columns); the first ``rows * columns`` units are the pixels
        (row-major), or the units of `units`.
    column : int, default 0
        Which trajectory of the batch.
    n_snapshots : int, default 6
        Snapshots at evenly spaced recorded times, first (the cue) and last included.
    stored : numpy.ndarray, shape (N,), optional
        The cued pattern, drawn first for reference.
    units : numpy.ndarray of int, shape (rows * columns,), optional
        The units that are the pixels, in row-major order (a partial cue's units); then
        ``rows * columns`` must equal their number.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import assocrate as aa
    >>> xi = aa.random_patterns(12, 2, 0.4, seed=0)  # 12 units drawn as 3 x 4 images
    >>> net = aa.design(xi, aa.Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection")
    >>> run = aa.euler_maruyama(net, net.memory_rates(), 0.01, 100, sigma=0.0, record_every=20)
    >>> len(cue_snapshots(run, (3, 4), column=1, stored=xi[:, 1]).axes)
    7
    """
    if getattr(trajectory, "states", None) is None:
        raise InvalidInput("`trajectory` must hold recorded states (run euler_maruyama without `readout`)")
    rows, cols = (int(v) for v in shape)
    states = trajectory.states
    if units is None:
        if rows < 1 or cols < 1 or rows * cols > states.shape[1]:
            raise InvalidInput(f"`shape` must fit in the {states.shape[1]} units; got {tuple(shape)}")
        pixels = np.arange(rows * cols)
    else:
        pixels = np.asarray(units, dtype=np.int64).ravel()
        if np.any(pixels < 0) or np.any(pixels >= states.shape[1]):
            raise InvalidInput(f"`units` must be unit indices in [0, {states.shape[1] - 1}]")
        if rows < 1 or cols < 1 or rows * cols != pixels.size:
            raise InvalidInput(f"`shape` must multiply to the {pixels.size} `units`; got {tuple(shape)}")
    if not 0 <= column < states.shape[2]:
        raise InvalidInput(f"`column` must be in [0, {states.shape[2] - 1}]; got {column}")
    if isinstance(n_snapshots, bool) or not isinstance(n_snapshots, int) or n_snapshots < 2:
        raise InvalidInput(f"`n_snapshots` must be an integer >= 2; got {n_snapshots!r}")
    picks = np.unique(np.linspace(0, states.shape[0] - 1, n_snapshots).round().astype(int))
    panels = [("stored", np.asarray(stored, dtype=float))] if stored is not None else []
    panels += [(f"t = {trajectory.times[k]:.3g}", states[k, :, column]) for k in picks]
    figure = Figure(figsize=(1.3 * len(panels) + 0.4, 1.8))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, values) in zip(axes, panels):
        ax.imshow(np.asarray(values)[pixels].reshape(rows, cols), cmap="Greys", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.tight_layout()
    return figure
