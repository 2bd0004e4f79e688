"""sweeps.phase_diagram against per-cell networks, its two routes against each other, the paper's
qualitative picture, netCDF output, the figure, and the `check` / `phase` commands."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import xarray as xr

from assocrate.cli import main
from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, pattern_statistics, random_patterns
from assocrate.core.rule import design_parameters
from assocrate.io import save_network
from assocrate.plots import phase_diagram as draw_phase_diagram
from assocrate.plots import phase_diagram_panels
from assocrate.stability import conditions, local_stability
from assocrate.sweeps import phase_diagram, save_dataset

from ..reference import REFERENCE_TANH, design_quietly

SMALL_RHO = np.array([0.3, 1.0, 2.2, 4.8])
SMALL_THRESHOLD = np.array([0.0, 0.15, 0.45, 0.8])
LEVELS = {"negative gamma": (-0.3, 0.95), "positive gamma": (0.1, 0.95)}
ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": RectifiedTanh}


@pytest.fixture(scope="module")
def diagrams():
    """The paper's four 30 x 30 diagrams (closed form: milliseconds each)."""
    return {(name, levels): phase_diagram(activation=name, a=LEVELS[levels][0], b=LEVELS[levels][1])
            for name in ACTIVATIONS for levels in LEVELS}


@pytest.mark.parametrize("levels", list(LEVELS))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_closed_form_route_equals_reduction_route(activation, levels):
    a, b = LEVELS[levels]
    closed = phase_diagram(activation=activation, a=a, b=b, method="closed-form")
    reduced = phase_diagram(activation=activation, a=a, b=b, method="reduction")
    np.testing.assert_allclose(closed["max_eigenvalue"], reduced["max_eigenvalue"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(closed["sufficient_value"], reduced["sufficient_value"], rtol=1e-10, atol=1e-12)
    for name in ("unstable", "sufficient_holds", "instability_holds", "valid"):
        assert closed[name].equals(reduced[name]), name


def _assert_cells_are_the_networks(ds, xi, activation, a, b, **design_kwargs):
    """Every cell equals design(xi, ..., **design_kwargs) + local_stability(at="ideal") + conditions."""
    for i, rho in enumerate(SMALL_RHO):
        for j, threshold in enumerate(SMALL_THRESHOLD):
            network = design_quietly(xi, ACTIVATIONS[activation](rho, threshold), a, b, **design_kwargs)
            cell = ds.isel(rho=i, threshold=j)
            result = local_stability(network, at="ideal")
            found = conditions(network)
            assert float(cell["max_eigenvalue"]) == pytest.approx(result.max_eigenvalues.max(), abs=1e-10)
            assert bool(cell["unstable"]) == bool(result.max_eigenvalues.max() >= 0)
            assert float(cell["sufficient_value"]) == pytest.approx(found.sufficient_value, rel=1e-10, abs=1e-13)
            assert float(cell["instability_value"]) == pytest.approx(found.instability_value, rel=1e-10, abs=1e-13)
            assert float(cell["alpha"]) == pytest.approx(network.alpha, rel=1e-13)
            assert float(cell["gamma"]) == pytest.approx(network.gamma, rel=1e-13)


@pytest.mark.parametrize(
    "patterns, kwargs",
    [
        ("equal-overlap", {}),
        ("correlated", {"r": 0.4, "n_patterns": 5, "seed": 3}),
        ("random", {"n_patterns": 8, "n_units": 400, "seed": 2}),
    ],
)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_cells_equal_networks_designed_one_by_one(activation, patterns, kwargs):
    a, b = -0.3, 0.95
    ds = phase_diagram(activation=activation, a=a, b=b, rho=SMALL_RHO, threshold=SMALL_THRESHOLD,
                       patterns=patterns, **kwargs)
    n_units = kwargs.get("n_units", 1000)
    xi = {
        "equal-overlap": lambda: equal_overlap_patterns(n_units, 0.2),
        "correlated": lambda: correlated_patterns(n_units, 5, 0.2, 0.4, seed=3),
        "random": lambda: random_patterns(n_units, 8, 0.2, seed=2),
    }[patterns]()
    _assert_cells_are_the_networks(ds, xi, activation, a, b)
    assert ds.attrs["method"] == ("closed-form" if patterns == "equal-overlap" else "reduction")


@pytest.mark.parametrize(
    "xi, q, r",
    [
        (random_patterns(400, 8, 0.2, seed=2), 0.2, 0.2),  # the authors' nominal q (issue 16)
        (random_patterns(400, 8, 0.2, seed=2), 0.2, None),  # q given, r estimated
        (equal_overlap_patterns(1000, 0.2), 0.25, 0.2),  # not the patterns' own q: no closed form
    ],
)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_given_q_and_r_are_used_cell_by_cell(activation, xi, q, r):
    """phase_diagram(patterns=xi, q=, r=) equals design(xi, ..., q=, r=) + local_stability(at="ideal")."""
    a, b = -0.3, 0.95
    ds = phase_diagram(activation=activation, a=a, b=b, rho=SMALL_RHO, threshold=SMALL_THRESHOLD, patterns=xi, q=q, r=r)
    _assert_cells_are_the_networks(ds, xi, activation, a, b, q=q, r=r)
    stats = pattern_statistics(xi)
    assert ds.attrs["q"] == q and ds.attrs["q_source"] == "given"
    assert ds.attrs["r"] == (stats.r if r is None else r)
    assert ds.attrs["r_source"] == ("estimated" if r is None else "given")
    assert (ds.attrs["q_patterns"], ds.attrs["r_patterns"]) == (stats.q, stats.r)
    assert ds.attrs["method"] == "reduction" and "approximate" in ds.attrs["point"]


def test_given_q_changes_the_design_estimated_q_when_absent():
    xi = random_patterns(400, 8, 0.2, seed=2)
    estimated = phase_diagram(rho=SMALL_RHO, threshold=SMALL_THRESHOLD, patterns=xi)
    nominal = phase_diagram(rho=SMALL_RHO, threshold=SMALL_THRESHOLD, patterns=xi, q=0.2, r=0.2)
    assert estimated.attrs["q_source"] == "estimated" and estimated.attrs["q"] == pattern_statistics(xi).q != 0.2
    assert not np.allclose(estimated["max_eigenvalue"], nominal["max_eigenvalue"])  # alpha does not involve q
    with pytest.raises(ValueError, match="closed-form"):
        phase_diagram(rho=[4.8], threshold=[0.2], q=0.25, r=0.2, method="closed-form")
    with pytest.raises(ValueError, match="`q` must be in"):
        phase_diagram(rho=[4.8], threshold=[0.2], patterns=xi, q=1.5)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_grid_scalars_are_the_designs_bit_for_bit(activation):
    """The grid is designed by core.rule.design_rule: each cell's alpha, gamma and slopes are exactly
    those of the activation and design_parameters of that cell (no second copy of the formulas)."""
    ds = phase_diagram(activation=activation, rho=SMALL_RHO, threshold=SMALL_THRESHOLD[1:])
    for i, rho in enumerate(SMALL_RHO):
        for j, threshold in enumerate(SMALL_THRESHOLD[1:]):
            phi = ACTIVATIONS[activation](rho, threshold)
            params = design_parameters(phi, -0.3, 0.95, 0.2, 0.2)
            cell = ds.isel(rho=i, threshold=j)
            assert float(cell["alpha"]) == params.alpha and float(cell["gamma"]) == params.gamma
            assert float(cell["d_a"]) == float(phi.dphi(-0.3)) and float(cell["d_b"]) == float(phi.dphi(0.95))


def test_invalid_cells_are_masked():
    threshold = np.array([0.2, 0.5, 0.6, 0.9])
    ds = phase_diagram(activation="tanh", a=-0.3, b=0.5, rho=[1.0, 3.0], threshold=threshold)
    expected = np.broadcast_to(threshold < 0.5, (2, 4))
    np.testing.assert_array_equal(ds["valid"].values, expected)
    invalid = ~ds["valid"].values
    for name in ("max_eigenvalue", "alpha", "gamma", "sufficient_value", "instability_value", "d_a", "d_b"):
        assert np.all(np.isnan(ds[name].values[invalid])), name
    for name in ("unstable", "sufficient_holds", "instability_holds"):
        assert not ds[name].values[invalid].any(), name


def test_dataset_layout(diagrams):
    ds = diagrams[("sigmoid", "negative gamma")]
    assert ds["max_eigenvalue"].dims == ("rho", "threshold") and ds["max_eigenvalue"].shape == (30, 30)
    assert {"max_eigenvalue", "unstable", "sufficient_holds", "instability_holds", "alpha", "gamma", "valid"} <= set(ds)
    np.testing.assert_allclose(ds["rho"], np.linspace(0.2, 5, 30))
    np.testing.assert_allclose(ds["threshold"], np.linspace(0, 0.9, 30))
    attrs = ds.attrs
    assert (attrs["a"], attrs["b"], attrs["activation"], attrs["ensemble"], attrs["N"], attrs["P"]) == (
        -0.3, 0.95, "sigmoid", "equal-overlap", 1000, 6)
    assert attrs["q"] == pytest.approx(0.2) and attrs["method"] == "closed-form"
    assert ds["unstable"].dtype == bool and ds["valid"].all()


@pytest.mark.parametrize("levels", list(LEVELS))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_the_papers_picture(diagrams, activation, levels):
    ds = diagrams[(activation, levels)]
    a, b = LEVELS[levels]
    rho = ds["rho"].values[:, None]
    threshold = ds["threshold"].values[None, :]
    stable = (ds["valid"] & ~ds["unstable"]).values
    assert stable.any() and ds["unstable"].values.any()
    # low gain: unstable at every threshold
    assert ds["unstable"].sel(rho=slice(None, 0.6)).all()
    # stability needs the high level b on the saturating side of phi (past its steepest point)
    steepest = np.broadcast_to(threshold + (0.5 / rho if activation == "sigmoid" else 0.0 * rho), stable.shape)
    assert np.all((b - steepest)[stable] > 0.1)
    assert np.all(ds["d_b"].values[stable] < 0.85 * np.broadcast_to(rho, stable.shape)[stable])
    # and the low level a below threshold (tanh: silent, phi'(a) = 0; sigmoid: below the midpoint)
    assert np.all((steepest - a)[stable] > 0)
    if activation == "tanh":
        assert np.all(ds["d_a"].values[stable] == 0)
    if levels == "positive gamma":
        assert np.all(ds["gamma"].values > 0)
        lowest = ds["unstable"].sel(threshold=0.0)
        assert lowest.sel(rho=slice(2.0, None)).all()  # a above threshold at high gain: unstable
    else:
        assert np.all(ds["gamma"].values < 0)
    # the conditions are consistent with the exact verdict
    assert not (ds["sufficient_holds"] & ds["unstable"]).any()
    assert not (ds["instability_holds"] & ~ds["unstable"]).any()


def test_random_patterns_use_the_reduction_and_say_so():
    ds = phase_diagram(patterns="random", n_units=500, n_patterns=6, rho=SMALL_RHO, threshold=SMALL_THRESHOLD)
    assert ds.attrs["method"] == "reduction"
    assert "approximate" in ds.attrs["point"]
    with pytest.raises(ValueError, match="closed-form"):
        phase_diagram(patterns="random", n_units=500, n_patterns=6, rho=SMALL_RHO, threshold=SMALL_THRESHOLD,
                      method="closed-form")


def test_given_patterns_and_progress():
    calls = []
    ds = phase_diagram(patterns=equal_overlap_patterns(400, 0.25), rho=SMALL_RHO, threshold=SMALL_THRESHOLD,
                       method="reduction", progress=lambda done, total: calls.append((done, total)))
    assert ds.attrs["ensemble"] == "given" and ds.attrs["P"] == 5
    assert calls and calls[-1] == (16, 16)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "relu"}, "`activation` must be one of"),
        ({"a": 1.0, "b": 0.5}, "`a` must be < `b`"),
        ({"rho": [0.0, 1.0]}, "`rho` must be > 0"),
        ({"threshold": []}, "`threshold` must be a non-empty"),
        ({"method": "dense"}, "`method` must be one of"),
        ({"patterns": "sparse"}, "`patterns` must be one of"),
        ({"tau": -1.0}, "`tau` must be > 0"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        phase_diagram(**kwargs)


def test_netcdf_round_trip_is_atomic(tmp_path, diagrams):
    ds = diagrams[("tanh", "positive gamma")]
    target = save_dataset(tmp_path / "phase.nc", ds)
    assert sorted(os.listdir(tmp_path)) == ["phase.nc"]
    with xr.open_dataset(target) as back:
        assert back["unstable"].dtype == bool
        xr.testing.assert_identical(back.load(), ds)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_dataset(tmp_path / "missing" / "phase.nc", ds)


def test_figure(tmp_path, diagrams):
    figure = draw_phase_diagram(diagrams[("sigmoid", "positive gamma")])
    ax = figure.axes[0]
    assert ax.get_xlabel() == "gain ρ" and ax.get_ylabel() == "threshold x*"
    from matplotlib.collections import QuadMesh
    from matplotlib.contour import ContourSet

    assert sum(isinstance(c, QuadMesh) for c in ax.collections) == 1  # the stable / unstable fill
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 2  # dashed and dotted contours
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert {"sufficient condition", "instability condition", "unstable"} <= set(labels)
    assert "γ > 0" in ax.get_title()
    masked = draw_phase_diagram(phase_diagram(activation="tanh", b=0.5, rho=SMALL_RHO, threshold=SMALL_THRESHOLD))
    assert any("no design" in text.get_text() for text in masked.axes[0].get_legend().get_texts())
    from assocrate.plots import save_figure

    assert save_figure(figure, tmp_path / "phase.png").stat().st_size > 10_000
    panels = phase_diagram_panels(diagrams.values())
    assert sum(ax.get_visible() for ax in panels.axes) == 4
    with pytest.raises(ValueError, match="at least one"):
        phase_diagram_panels([])


# The command line


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("activation, stable", [(Sigmoid(4.8, 0.2), True), (REFERENCE_TANH, False)])
def test_check_json(tmp_path, capsys, activation, stable):
    path = save_network(tmp_path / "net.npz", design(equal_overlap_patterns(1000, 0.2), activation, -0.3, 0.95))
    code, out, err = run(capsys, "check", str(path), "--json")
    assert code == 0, err
    record = json.loads(out)
    assert len(record["memories"]) == 6
    for row in record["memories"]:
        assert {"index", "max_eigenvalue", "stable", "sufficient_holds", "instability_holds"} <= set(row)
        assert row["stable"] is stable and (row["max_eigenvalue"] < 0) is stable
    assert record["conditions"]["instability_holds"] is not stable


def test_check_table_and_certificates(tmp_path, capsys):
    path = save_network(tmp_path / "net.npz", design(equal_overlap_patterns(1000, 0.2), REFERENCE_TANH, -0.3, 0.95))
    code, out, _ = run(capsys, "check", str(path), "--certify")
    assert code == 0
    assert "0 of 6 memories stable" in out and "unstable" in out
    assert out.count("not certified: no certificate: check's verdict is unstable") == 6  # check and --certify agree
    stable = save_network(tmp_path / "ok.npz", design(random_patterns(300, 4, 0.2, seed=1), Sigmoid(4.8, 0.2),
                                                      -0.3, 0.95, q=0.2, r=0.2))
    code, out, _ = run(capsys, "check", str(stable), "--certify", "--json")
    record = json.loads(out)
    assert code == 0 and all(row["certified"] for row in record["memories"])
    assert {row["equilibrium_status"] for row in record["memories"]} == {"converged"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["check", "missing.npz"], "no such file"),
        (["check", "net.npz", "--at", "nowhere"], "--at"),
        (["phase", "--rho-range", "0.2", "5", "0"], "--rho-range"),
        (["phase", "--rho-range", "-1", "5", "3"], "`rho` must be > 0"),
        (["phase", "--a", "1.0"], "`a` must be < `b`"),
        (["phase", "--patterns", "correlated"], "--r"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error:") and message in err


def test_phase_writes_dataset_and_figure(tmp_path, capsys):
    out, figure = tmp_path / "phase.nc", tmp_path / "phase.png"
    code, stdout, _ = run(capsys, "phase", "--activation", "tanh", "--a", "0.1", "--b", "0.95",
                          "--rho-range", "0.2", "5", "12", "--threshold-range", "0", "0.9", "10",
                          "--out", str(out), "--figure", str(figure), "--json")
    assert code == 0
    record = json.loads(stdout)
    assert (record["n_rho"], record["n_threshold"], record["N"], record["ensemble"]) == (12, 10, 1000, "equal-overlap")
    assert record["n_stable"] + record["n_unstable"] == record["n_valid"] == 120
    with xr.open_dataset(out) as ds:
        assert ds["max_eigenvalue"].shape == (12, 10) and ds.attrs["activation"] == "tanh"
        assert int(ds["unstable"].sum()) == record["n_unstable"]
    assert figure.stat().st_size > 10_000
    code, stdout, _ = run(capsys, "phase", "--rho-range", "1", "4", "3", "--threshold-range", "0", "0.5", "2")
    assert code == 0 and "3 x 2 cells" in stdout


# Capacity sweeps on dask.distributed (theory.md §8)
