"""Proved phase diagrams (sweeps.proof): exact verdicts equal the exact-spectrum ones, cell by cell."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import xarray as xr

from assocrate.cli import main
from assocrate.core.activations import activation_from_name
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, row_types
from assocrate.errors import InvalidInput
from assocrate.plots import phase_diagram as draw_phase_diagram
from assocrate.stability import local_stability, lyapunov_certificate
from assocrate.sweeps import phase_diagram
from assocrate.sweeps.proof import (
    PROOF_MEANINGS,
    STABLE_PROVED,
    UNDECIDED,
    UNSTABLE_PROVED,
    _class_gram,
    _memory_verdict,
)

LEVELS = {"negative gamma": (-0.3, 0.95), "positive gamma": (0.1, 0.95)}


@pytest.fixture(scope="module")
def proved():
    """The paper's four 30 x 30 diagrams, proved (about 20 s in all on 2 cores)."""
    return {(name, levels): phase_diagram(activation=name, a=a, b=b, prove=True)
            for name in ("sigmoid", "tanh") for levels, (a, b) in LEVELS.items()}


@pytest.mark.parametrize("levels", list(LEVELS))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_every_cell_is_proved_as_the_exact_spectrum_says(proved, activation, levels):
    ds = proved[activation, levels]
    proof, unstable, valid = ds["proof"].values, ds["unstable"].values, ds["valid"].values
    assert np.array_equal(proof == STABLE_PROVED, valid & ~unstable)
    assert np.array_equal(proof == UNSTABLE_PROVED, unstable)
    assert not np.any(proof == UNDECIDED)
    assert 0 < int((proof == STABLE_PROVED).sum()) < 900
    attrs = ds["proof"].attrs
    assert attrs["flag_meanings"] == "no-network undecided stable-proved unstable-proved"
    assert list(attrs["flag_values"]) == sorted(PROOF_MEANINGS)


@pytest.mark.parametrize("activation, levels, i, j", [
    ("sigmoid", "negative gamma", 29, 6), ("sigmoid", "negative gamma", 0, 6),
    ("tanh", "positive gamma", 20, 12), ("tanh", "positive gamma", 20, 28),
])
def test_proofs_agree_with_networks_designed_one_by_one(proved, activation, levels, i, j):
    ds = proved[activation, levels]
    a, b = LEVELS[levels]
    phi = activation_from_name(activation, rho=float(ds["rho"][i]), threshold=float(ds["threshold"][j]))
    net = design(equal_overlap_patterns(1000, 0.2), phi, a, b)
    verdict = int(ds["proof"][i, j])
    if verdict == STABLE_PROVED:
        assert lyapunov_certificate(net, 0).certified
    else:
        assert verdict == UNSTABLE_PROVED
        assert local_stability(net).max_eigenvalues.max() > 0


def _boundary_cell(ds):
    """The valid cell whose largest eigenvalue is nearest to 0."""
    values = np.abs(ds["max_eigenvalue"].values)
    i, j = np.unravel_index(np.nanargmin(values), values.shape)
    return int(i), int(j)


@pytest.mark.parametrize("stretch", ["up", "down"])
def test_slope_enclosures_that_straddle_the_boundary_are_undecided(proved, stretch):
    """Stability is proved with the upper slope bounds, instability with the lower ones: an
    enclosure containing slopes on both sides of the boundary must leave the memory undecided."""
    ds = proved["sigmoid", "negative gamma"]
    i, j = _boundary_cell(ds)
    xi = equal_overlap_patterns(1000, 0.2)
    types = row_types(xi)
    phi = activation_from_name("sigmoid", rho=float(ds["rho"][i]), threshold=float(ds["threshold"][j]))
    net = design(xi, phi, -0.3, 0.95)
    G = _class_gram(types.rows, types.counts, net.beta, net.alpha_prime, net.gamma, 1000)
    d_a, d_b = Fraction(float(ds["d_a"][i, j])), Fraction(float(ds["d_b"][i, j]))
    column = tuple(bool(x) for x in types.rows[:, 0])
    exact = _memory_verdict(G, types.counts, column, (d_a, d_a), (d_b, d_b))
    assert exact == (UNSTABLE_PROVED if bool(ds["unstable"][i, j]) else STABLE_PROVED)
    factor = Fraction(2) if stretch == "up" else Fraction(1, 2)
    low, high = (1, factor) if stretch == "up" else (factor, 1)
    straddling = _memory_verdict(G, types.counts, column, (d_a * low, d_a * high), (d_b * low, d_b * high))
    expected = UNDECIDED if (stretch == "up") != bool(ds["unstable"][i, j]) else exact
    assert straddling == expected


def test_correlated_patterns_are_proved_and_random_patterns_refused():
    ds = phase_diagram(patterns="correlated", r=0.4, n_patterns=5, seed=3, rho=[0.5, 4.8], threshold=[0.2, 0.6], prove=True)
    assert np.array_equal(ds["proof"].values == UNSTABLE_PROVED, ds["unstable"].values)
    with pytest.raises(InvalidInput, match="`prove`=True needs an exact design"):
        phase_diagram(patterns="random", n_patterns=5, n_units=200, rho=[1.0], threshold=[0.2], prove=True)
    with pytest.raises(InvalidInput, match="`prove` must be True or False"):
        phase_diagram(rho=[1.0], threshold=[0.2], prove="yes")


def test_invalid_cells_have_no_network():
    ds = phase_diagram(activation="tanh", a=0.1, b=0.5, rho=[1.0, 4.0], threshold=[0.2, 0.7], prove=True)
    assert np.array_equal(ds["proof"].values == -1, ~ds["valid"].values) and not ds["valid"].values.all()


def test_phase_prove_command_counts_the_proofs_and_draws_them(tmp_path, capsys):
    out, figure = tmp_path / "phase.nc", tmp_path / "phase.png"
    code = main(["phase", "--rho-range", "0.2", "5", "8", "--threshold-range", "0", "0.9", "6", "--prove",
                 "--out", str(out), "--figure", str(figure), "--json"])
    record = json.loads(capsys.readouterr().out)
    assert code == 0
    assert record["n_stable_proved"] == record["n_stable"] and record["n_unstable_proved"] == record["n_unstable"]
    assert record["n_undecided"] == 0
    with xr.open_dataset(out) as ds:
        assert int((ds["proof"] == STABLE_PROVED).sum()) == record["n_stable_proved"]
    assert figure.stat().st_size > 10_000
    ax = draw_phase_diagram(phase_diagram(rho=[1.0, 4.8], threshold=[0.2, 0.5], prove=True)).axes[0]
    assert any("proved exactly: " in text.get_text() for text in ax.get_legend().get_texts())


def test_a_design_with_nominal_q_is_refused():
    """Equal-overlap patterns designed with another q: the designed memories are not equilibria."""
    with pytest.raises(InvalidInput, match="designed with their own q and r"):
        phase_diagram(q=0.2, r=0.3, rho=[1.0], threshold=[0.2], prove=True)
