"""Tests for assocrate.plots: every figure is a Figure that saves, and importing leaves matplotlib alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from assocrate import plots
from assocrate._figures import wilson_interval
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, pattern_statistics
from assocrate.datasets import letter_patterns
from assocrate.dynamics import euler_maruyama
from assocrate.errors import InvalidInput, InvalidType
from assocrate.graphs import transition_graph
from assocrate.retrieval import basin_profile, make_cues, retrieve
from assocrate.sweeps import capacity, phase_diagram

from .reference import REFERENCE_SIGMOID, projection_network

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def network():
    return design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="module")
def dataset():
    return phase_diagram(rho=np.linspace(1.0, 5.0, 3), threshold=np.linspace(0.0, 0.5, 3), n_units=200)


@pytest.fixture(scope="module")
def letters():
    item = letter_patterns("AKZ", padding=60, seed=0)
    stats = pattern_statistics(item.patterns)
    network = design(item.patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=stats.q, r=stats.r)
    cues = make_cues(network, "delete", 0.4, seed=0)
    return item, cues, retrieve(network, cues, t_max=2.0)


#: name -> figure from the module's fixtures (built lazily, so one failing input fails one case).
FIGURES = {
    "patterns_and_weights": lambda f: plots.patterns_and_weights(f("network"), max_units=50),
    "phase_diagram": lambda f: plots.phase_diagram(f("dataset")),
    "phase_diagram_panels": lambda f: plots.phase_diagram_panels([f("dataset")] * 3),
    "overlap_time_courses": lambda f: plots.overlap_time_courses(
        {"a": retrieve(f("network"), make_cues(f("network"), "flip", 0.1, seed=1), t_max=2.0)}
    ),
    "basin_profile_plot": lambda f: plots.basin_profile_plot(basin_profile(f("network"), 0, [0.0, 0.6], 2, seed=2,
                                                                           t_max=2.0)),
    "capacity_plot": lambda f: plots.capacity_plot(
        capacity(100, [0.03, 0.05], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 1, 0, t_max=2.0)
    ),
    "letter_recall": lambda f: plots.letter_recall(*f("letters"), max_letters=2),
    "cue_snapshots": lambda f: plots.cue_snapshots(
        euler_maruyama(f("network"), make_cues(f("network"), "flip", 0.1, seed=1).x0[:, :2], 0.01, 100, sigma=0.0,
                       record_every=20), (10, 20), column=1, stored=f("network").patterns[:, 1],
    ),
    "transition_graph_plot": lambda f: plots.transition_graph_plot(
        transition_graph(retrieve(f("network"), make_cues(f("network"), "flip", 0.3, trials=2, seed=1), t_max=2.0))
    ),
}


def test_every_plot_function_is_tested():
    drawn = {name for name in plots.__all__ if name not in ("save_figure", "network_title")}
    assert drawn == set(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_plot_returns_a_figure_that_saves_a_png(request, tmp_path, name):
    figure = FIGURES[name](request.getfixturevalue)
    assert type(figure) is Figure  # built without pyplot: nothing registered in its global state
    path = plots.save_figure(figure, tmp_path / f"{name}.png")
    assert path == tmp_path / f"{name}.png"
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 5_000
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]  # atomic: no temporary left behind


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF"), ("", PNG)])
def test_the_suffix_chooses_the_format(network, tmp_path, suffix, magic):
    path = plots.save_figure(plots.patterns_and_weights(network, max_units=20), tmp_path / f"figure{suffix}")
    assert path.read_bytes().startswith(magic)


def test_phase_diagram_draws_into_a_given_axes(dataset):
    figure = Figure()
    ax = figure.subplots()
    assert plots.phase_diagram(dataset, ax=ax) is figure


def test_bad_inputs():
    with pytest.raises(InvalidInput, match="at least one"):
        plots.phase_diagram_panels([])
    with pytest.raises(InvalidType, match="`results` must be one RetrievalResult"):
        plots.overlap_time_courses([1, 2])


def test_import_leaves_the_backend_alone_and_saves_under_any_backend(tmp_path):
    """A user's interactive backend survives the import, and saving needs no display nor pyplot."""
    script = textwrap.dedent(
        f"""
        import sys
        import matplotlib
        matplotlib.use("TkAgg")  # a GUI backend, with no display available
        import assocrate.plots, assocrate.cli
        from assocrate.core.activations import Sigmoid
        from assocrate.core.design import design
        from assocrate.core.patterns import equal_overlap_patterns

        network = design(equal_overlap_patterns(100, 0.2), Sigmoid(4.8, 0.2), -0.3, 0.95)
        assocrate.plots.save_figure(assocrate.plots.patterns_and_weights(network), {str(tmp_path / "w.png")!r})
        print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
        """
    )
    env = {key: value for key, value in os.environ.items() if key not in ("MPLBACKEND", "DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TkAgg", "False"]
    assert (tmp_path / "w.png").read_bytes().startswith(PNG)


@pytest.fixture(scope="module")
def normalized_runs(random_network):
    cues = make_cues(random_network, "delete", 0.4, seed=3, memories=[0, 1])
    return {normalize: retrieve(random_network, cues, n_steps=100, normalize=normalize) for normalize in ("pattern", "nq")}


def test_overlap_figure_labels_the_normalisation(normalized_runs):
    runs = normalized_runs
    own = plots.overlap_time_courses({"own size": runs["pattern"]})
    nq = plots.overlap_time_courses({"N q": runs["nq"]})
    assert own.axes[0].get_ylabel().endswith(r"/ |\xi^\nu|$") and nq.axes[0].get_ylabel().endswith("/ (N q)$")
    mixed = plots.overlap_time_courses({"own size": runs["pattern"], "N q": runs["nq"]})
    assert [ax.get_ylabel()[-8:] for ax in mixed.axes] == [r"|\xi^\nu|$"[-8:], "/ (N q)$"]


# ---------------------------------------------------------------------------------------------
# What the figures say (issue 14): sampling, colour bars, bands, intervals, error bars, time axes
# ---------------------------------------------------------------------------------------------


def _texts(figure) -> str:
    parts = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
        legend = ax.get_legend()
        if legend is not None:
            parts += [t.get_text() for t in legend.get_texts()]
    if figure._suptitle is not None:
        parts.append(figure._suptitle.get_text())
    return "\n".join(parts)


def test_the_weight_figure_says_what_is_shown(network):
    figure = plots.patterns_and_weights(network, max_units=50)
    text = _texts(figure)
    assert "50 of 200 units shown" in text and "sorted by row type" in text
    image = figure.axes[1].images[0]
    assert image.norm.vmin == -image.norm.vmax  # diverging, centred at 0
    assert "W[i, j]" in figure.axes[-1].get_ylabel()  # the colour bar is labelled
    ticks = figure.axes[2].get_yticks()
    assert np.allclose(ticks, np.round(ticks))  # multiplicities: integer ticks


def test_the_overlap_figure_names_its_band_and_groups_by_outcome(network):
    cues = make_cues(network, "delete", 0.4, trials=3, seed=1)
    result = retrieve(network, cues, t_max=2.0)
    text = _texts(plots.overlap_time_courses(result, tau=1.0))
    assert "10–90 % range" in text and "t / τ" in text
    groups = {outcome: count for outcome, count in result.class_counts().items() if count}
    assert len(groups) == 2  # bimodal at t = 2: drawn as two groups, not one mean
    assert all(f"cues ending {outcome} ({count})" in text for outcome, count in groups.items())
    assert "t / τ" not in _texts(plots.overlap_time_courses(result))  # unknown tau: plain time


def test_the_basin_figure_draws_a_wilson_band_and_names_only_occurring_classes(network):
    profile = basin_profile(network, 0, [0.0, 0.6], 2, seed=2, t_max=2.0)
    figure = plots.basin_profile_plot(profile)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "95 % Wilson interval" in labels
    occurring = {c for k, c in enumerate(profile.classes) if profile.class_counts[:, k].any()}
    assert {label.removeprefix("ends ") for label in labels if label.startswith("ends ")} == occurring


def test_the_wilson_interval():
    low, high = wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert low[0] == 0 and high[2] == pytest.approx(1) and low[1] < 0.5 < high[1]
    assert high[0] == pytest.approx(0.2775, abs=1e-4)  # 0 of 10: the textbook value


def test_the_capacity_figure_has_error_bars_over_pattern_sets():
    curve = capacity(100, [0.03, 0.06], 0.2, REFERENCE_SIGMOID, (-0.3, 0.95), 2, 0, t_max=2.0)
    figure = plots.capacity_plot(curve)
    assert "2 pattern sets per load" in _texts(figure)
    assert len(figure.axes[0].containers) == 4  # one errorbar container per test


def test_cue_snapshots_draws_one_cue_as_images():
    import assocrate as aa
    from assocrate.plots import cue_snapshots

    xi = aa.random_patterns(64, 4, 0.3, seed=0)
    net = aa.design(xi, aa.Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection")
    cues = aa.make_cues(net, "flip", 0.1, trials=1, seed=0)
    run = aa.euler_maruyama(net, cues.x0, 0.01, 500, sigma=0.0, record_every=50)
    figure = cue_snapshots(run, (8, 8), column=2, n_snapshots=4, stored=xi[:, cues.cued[2]])
    assert len(figure.axes) == 5 and figure.axes[1].get_title() == "t = 0"
    with pytest.raises(aa.InvalidInput, match="`shape`"):
        cue_snapshots(run, (9, 8))


def test_patterns_and_weights_of_a_nonsymmetric_w():
    """A projection design with unequal activities: the weight panel is the dense W (not its
    transpose) and the spectrum panel puts the P nonzero eigenvalues in the complex plane."""
    network = projection_network(60, 4, seed=2)
    figure = plots.patterns_and_weights(network)
    order = np.argsort(network.row_types.index, kind="stable")
    W = network.dense_weights()[np.ix_(order, order)]
    drawn = figure.axes[1].images[0].get_array()
    np.testing.assert_allclose(drawn, W, rtol=1e-12, atol=1e-15)
    spectrum_axes = figure.axes[2]
    points = spectrum_axes.collections[0].get_offsets()
    expected = np.linalg.eigvals(network.dense_weights())
    expected = expected[np.abs(expected) > 1e-9]
    assert points.shape == (4, 2) and expected.size == 4
    for re, im in points:
        assert np.min(np.abs(expected - (re + 1j * im))) < 1e-9
    assert "non-symmetric W of rank 4" in figure._suptitle.get_text()
    assert "multiplicity 56 not drawn" in spectrum_axes.get_title()


def test_cue_snapshots_of_a_partial_cue_draw_its_units():
    """Any shape, pixels from a list of units: each panel is the state on those units, reshaped row-major."""
    import assocrate as aa
    from assocrate.plots import cue_snapshots

    xi = aa.random_patterns(40, 3, 0.3, seed=1)
    net = aa.design(xi, aa.Sigmoid(4.8, 0.2), -0.3, 0.95, rule="projection")
    units = np.arange(30, 10, -1)  # 20 units, drawn as 4 x 5, in reverse order
    cues = aa.user_cues(net, xi[units].astype(float), cued=np.arange(3), units=units)
    run = aa.euler_maruyama(net, cues.x0, 0.01, 300, sigma=0.0, record_every=60)
    figure = cue_snapshots(run, (4, 5), column=1, n_snapshots=3, units=units)
    assert len(figure.axes) == 3
    first = figure.axes[0].images[0].get_array()
    np.testing.assert_array_equal(first, run.states[0, units, 1].reshape(4, 5))
    with pytest.raises(aa.InvalidInput, match="must multiply to the 20 `units`"):
        cue_snapshots(run, (5, 5), units=units)
    with pytest.raises(aa.InvalidInput, match="`units` must be unit indices"):
        cue_snapshots(run, (1, 1), units=[40])
