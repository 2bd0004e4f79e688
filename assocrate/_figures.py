"""What the retrieval figures share, and the figures of outcome counts: basins and capacity.

The figures are re-exported by :mod:`assocrate.plots` (use them from there). Like every figure of
assocrate they are :class:`matplotlib.figure.Figure` objects built without pyplot.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .errors import InvalidType

__all__ = ["CLASS_COLORS", "basin_profile_plot", "capacity_plot", "named_results", "panels", "wilson_interval"]


#: Colour of each final class (retrieval figures).
CLASS_COLORS = {"cued memory": "tab:red", "other memory": "tab:orange", "quiescent": "tab:blue",
                 "all-on": "goldenrod", "none": "tab:gray"}


def named_results(results, kind: str) -> list[tuple[str, object]]:
    """Accept one result, a mapping name -> result, or a sequence of (name, result) pairs."""
    if hasattr(results, "items"):
        return list(results.items())
    if isinstance(results, (list, tuple)) and results and isinstance(results[0], tuple):
        return list(results)
    if isinstance(results, (list, tuple)):
        raise InvalidType(f"`results` must be one {kind}, a mapping name -> {kind}, or (name, {kind}) pairs")
    return [("", results)]


def panels(n_panels: int, width: float, height: float):
    """A figure of `n_panels` side-by-side axes sharing y (each `width` x `height` inches); (figure, axes)."""
    figure = Figure(figsize=(width * n_panels, height))
    return figure, figure.subplots(1, n_panels, squeeze=False, sharey=True)[0]


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (95 % by default) of a binomial proportion, per entry.

    Examples
    --------
    >>> low, high = wilson_interval(np.array([0, 10]), np.array([10, 10]))
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0, 0.7225], [0.2775, 1.0])
    """
    n = np.maximum(np.asarray(n, dtype=float), 1.0)
    p = np.asarray(successes, dtype=float) / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def basin_profile_plot(profiles, *, title: str | None = None) -> Figure:
    """Retrieval probability against cue corruption, with its 95 % Wilson band and the final classes beneath.

    The shaded areas stack the fraction of cues ending in each class (only the classes that
    occur are drawn and named); the red line is the fraction retrieved, with its 95 % Wilson
    score interval for the number of cues per level.

    Parameters
    ----------
    profiles : BasinProfile, mapping of name -> BasinProfile, or sequence of (name, profile)
        One panel per profile.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    named = named_results(profiles, "BasinProfile")
    figure, axes = panels(len(named), 5.2, 3.9)
    for ax, (name, profile) in zip(axes, named):
        fractions = profile.class_counts / profile.n_cues[:, None]
        occur = [k for k, c in enumerate(profile.classes) if profile.class_counts[:, k].any()]
        ax.stackplot(profile.levels, fractions[:, occur].T, colors=[CLASS_COLORS[profile.classes[k]] for k in occur],
                     alpha=0.3, labels=[f"ends {profile.classes[k]}" for k in occur])
        low, high = wilson_interval(profile.successes, profile.n_cues)
        ax.fill_between(profile.levels, low, high, color="tab:red", alpha=0.25, lw=0, hatch="///",
                        label="95 % Wilson interval")
        ax.plot(profile.levels, profile.probability, "o-", color="tab:red", lw=2, ms=4, label="P(retrieve cued)")
        edge = profile.edge(0.5)
        if np.isfinite(edge):
            ax.axvline(edge, color="k", ls=":", lw=1, label=f"P ≥ 0.5 up to {edge:.3g}")
        target = "all memories" if profile.memory is None else f"memory {profile.memory}"
        n_cues = np.unique(profile.n_cues)
        per_level = f"{int(n_cues[0])}" if n_cues.size == 1 else f"{int(n_cues.min())}–{int(n_cues.max())}"
        ax.set_title(f"{name} ({target}, {per_level} cues per level)".strip(), fontsize=9)
        ax.set_xlabel({"delete": "fraction of active units deleted", "flip": "fraction of units flipped",
                       "noise": "noise σ added to the rates"}.get(profile.kind, profile.kind))
        ax.set_ylim(0, 1.02)
        ax.set_xlim(profile.levels[0], profile.levels[-1])
        ax.legend(loc="lower left", fontsize=7, framealpha=0.85)
    axes[0].set_ylabel("fraction of cues")
    figure.suptitle(title or "basin of attraction: where corrupted cues end", fontsize=10)
    figure.tight_layout(w_pad=2.5)  # the panels' end ticks apart
    return figure


#: The tests of a capacity curve: (CapacityCurve rate, Dataset count, label, marker, colour).
_CAPACITY_SERIES = (
    ("equilibrium_rate", "equilibria", "equilibrium found", "v", "0.35"),
    ("stable_rate", "stable", "stable equilibrium", "^", "tab:green"),
    ("retrieval_rate", "retrieved", "retrieved from cue", "s", "tab:orange"),
    ("success_rate", "success", "all three (capacity criterion)", "o", "tab:red"),
)


def capacity_plot(curves, *, title: str | None = None) -> Figure:
    """Fraction of working memories against the load P/N, with error bars over pattern sets.

    Every test is drawn (equilibrium found, stable, retrieved, and all three: the capacity
    criterion, thick); the series are shifted slightly sideways so none hides another. With
    several pattern sets per load, points are the pooled fraction and error bars ± 1 standard
    error of the per-set fractions. The dotted line marks the default load ``1 / (10 ln N)``.

    Parameters
    ----------
    curves : CapacityCurve, mapping of name -> CapacityCurve, or sequence of (name, curve)
        Drawn on one axis (several curves: one line style each).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    named = named_results(curves, "CapacityCurve")
    figure = Figure(figsize=(6.6, 4.3))
    ax = figure.subplots()
    styles = ("-", "--", "-.", ":")
    loads_all = np.concatenate([np.asarray(c.loads, dtype=float) for _, c in named])
    distinct = np.unique(loads_all)
    span = distinct[-1] - distinct[0] if distinct.size > 1 else max(distinct[0], 1e-3)
    shift = min(0.01 * span, 0.12 * np.min(np.diff(distinct))) if distinct.size > 1 else 0.01 * span
    for i, (name, curve) in enumerate(named):
        prefix = f"{name}: " if name else ""
        dataset = getattr(curve, "dataset", None)
        for k, (attribute, count, label, marker, color) in enumerate(_CAPACITY_SERIES):
            rate = np.asarray(getattr(curve, attribute), dtype=float)
            error = None
            if curve.trials > 1 and dataset is not None and count in dataset:
                per_set = np.asarray(dataset[count].values, dtype=float) / np.asarray(curve.n_patterns)[:, None]
                error = per_set.std(axis=1, ddof=1) / np.sqrt(per_set.shape[1])
            offset = (k - 1.5) * shift  # side by side (1 % of the axis apart): equal fractions stay visible
            main = attribute == "success_rate"  # thick and beneath; the single tests thin, on top
            ax.errorbar(curve.loads + offset, rate, yerr=error, marker=marker, color=color, ls=styles[i % 4],
                        lw=4.0 if main else 1.0, ms=7 if main else 4, capsize=2.5, zorder=2 if main else 3,
                        alpha=0.55 if main else 0.9, label=f"{prefix}{label}")
    n_units = named[0][1].n_units
    default = 1.0 / (10.0 * np.log(n_units))
    ax.axvline(default, color="k", ls=":", lw=1, label=f"P/N = 1/(10 ln N) = {default:.3g}")
    ax.set_xlabel("load P / N")
    ax.set_ylabel("fraction of memories")
    ax.set_ylim(-0.03, 1.06)
    ax.legend(loc="lower left", fontsize=7, framealpha=0.85)
    curve = named[0][1]
    sets = (f"{curve.trials} pattern sets per load, error bars ± 1 s.e. over sets" if curve.trials > 1
            else "1 pattern set per load (no error bars)")
    ax.set_title(title or f"capacity, N={n_units}, q={curve.q:g}, a={curve.a:g}, b={curve.b:g}, cue {curve.cue}\n{sets}",
                 fontsize=9)
    figure.tight_layout()
    return figure
