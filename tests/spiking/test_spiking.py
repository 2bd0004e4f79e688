"""Spiking realizations in Brian2 (numpy code generation: no compiler, no compile time)."""

from __future__ import annotations

import json

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from assocrate.dale import dale_realization  # noqa: E402
from assocrate.errors import InvalidInput, InvalidType  # noqa: E402
from assocrate.retrieval import make_cues, nonstored_cues  # noqa: E402
from assocrate.spiking import (  # noqa: E402
    compare_retrieval,
    lif_rate_check,
    raster_figure,
    simulate_spiking,
    spiking_realization,
    tracking_table,
)

from ..reference import REFERENCE_LIF  # noqa: E402

R_MAX = 100.0


@pytest.fixture(scope="module")
def poisson(equal_overlap_network):
    return spiking_realization(equal_overlap_network, neuron="poisson", r_max=R_MAX, tau_syn=0.01, seed=0)


@pytest.fixture(scope="module")
def deletion_run(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.4, trials=6, seed=1)  # 36 cues
    return simulate_spiking(poisson, cues, 5.0, seed=2)


def test_rates_at_the_memories_match_r_max_phi(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.0, seed=0)  # start at every memory
    result = simulate_spiking(poisson, cues, 30.0, seed=3, rate_window=25.0)
    phi = equal_overlap_network.activation.phi
    target_active, target_inactive = R_MAX * float(phi(0.95)), R_MAX * float(phi(-0.3))
    assert abs(result.rate_active_hz / target_active - 1) < 0.05
    assert abs(result.rate_inactive_hz - target_inactive) < 1.0
    assert result.success_rate == 1.0


def test_deletion_cues_retrieve_every_memory(deletion_run, equal_overlap_network):
    assert deletion_run.n_cues >= 32
    assert deletion_run.success_rate >= 0.95
    assert set(deletion_run.cued[deletion_run.success]) == set(range(equal_overlap_network.n_patterns))
    # the per-frame classes (latents averaged over tau) agree with classify() on the time-averaged final rates
    assert np.mean(deletion_run.frame_labels[-1] == deletion_run.labels) >= 0.95
    assert np.all(np.isfinite(deletion_run.time_to_converge[deletion_run.success]))
    record = json.loads(json.dumps(deletion_run.to_record()))
    assert record["classes"]["cued memory"] == int(deletion_run.success.sum())
    assert "success rate" in deletion_run.summary()


def test_nonstored_cues_decay_to_quiescence(poisson, equal_overlap_network):
    result = simulate_spiking(poisson, nonstored_cues(equal_overlap_network, 8, seed=5), 5.0, seed=4)
    assert result.class_counts()["quiescent"] == 8
    assert float(np.max(result.mean_rate[-1])) < 0.01


def test_same_seed_same_spikes(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.4, memories=[0], seed=1)
    first, again = (simulate_spiking(poisson, cues, 1.0, seed=7) for _ in range(2))
    other = simulate_spiking(poisson, cues, 1.0, seed=8)
    assert np.array_equal(first.spike_times, again.spike_times)
    assert np.array_equal(first.spike_neurons, again.spike_neurons)
    assert not np.array_equal(first.spike_neurons, other.spike_neurons)


def test_simulating_leaves_brian2_prefs_and_numpy_global_state_alone(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.4, memories=[0], seed=1)
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    target = brian2.prefs.codegen.target
    simulate_spiking(poisson, cues, 0.2, seed=7)
    assert np.random.random() == expected and brian2.prefs.codegen.target == target


def test_results_are_read_only(deletion_run):
    with pytest.raises(ValueError):
        deletion_run.latents[0, 0, 0] = 1.0


def test_current_tracking_error_falls_with_neurons_per_unit(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.4, seed=1)
    table = tracking_table(poisson, cues, 3.0, neurons_per_unit=(1, 4, 16), seed=0)
    assert table.decreasing
    assert table.mean_error[-1] < 0.05
    assert "neurons/unit" in table.summary()


def test_spiking_and_rate_retrieval_agree(poisson, equal_overlap_network):
    comparison = compare_retrieval(poisson, make_cues(equal_overlap_network, "delete", 0.4, trials=2, seed=3), 5.0, seed=1)
    record = comparison.to_record()
    assert record["success_rate"]["rate"] == 1.0
    assert record["success_rate"]["spiking"] >= 11 / 12  # a cue near the basin's edge may stall (~1 in 100)
    success = comparison.spiking.success
    spiking_overlap = float(np.mean(comparison.spiking.overlap_cued[success]))
    assert abs(spiking_overlap - float(np.mean(comparison.rate.overlap_cued[success]))) < 0.05
    assert "success_rate" in comparison.summary()


def test_dale_spiking_variant_obeys_dale_and_retrieves(equal_overlap_network):
    dale = dale_realization(equal_overlap_network, n_inhibitory=250, tau_inhibitory=0.5)
    sn = spiking_realization(dale, r_max=R_MAX, seed=0)
    result = simulate_spiking(sn, make_cues(equal_overlap_network, "delete", 0.4, trials=2, seed=1), 5.0)
    signs = result.dale_signs
    assert signs["obeys_dale"] and signs["E->I_min"] > 0 and signs["I->E_max"] < 0
    assert signs["E->E_min"] >= -signs["E->E_tolerance"]
    assert signs["n_E->I"] == signs["n_I->E"] == 12 * 1000 * 250
    assert result.success_rate >= 11 / 12


@pytest.mark.slow  # ~15 s: 5 s of LIF dynamics at dt = 20 us (numpy target)
def test_siegert_rate_matches_a_long_lif_simulation():
    check = lif_rate_check(REFERENCE_LIF, [1.0, 1.5, 2.0, 3.0, 4.0], duration=5.0, n_neurons=20, dt=2e-5, seed=0)
    assert np.all(np.abs(check.relative_error) < 0.05), check.summary()


def test_lif_realization_retrieves(lif_network):
    sn = spiking_realization(lif_network, neuron="lif", seed=0)
    assert sn.r_max == pytest.approx(250.0)
    result = simulate_spiking(sn, make_cues(lif_network, "delete", 0.4, trials=6, seed=1), 5.0)
    assert result.success_rate >= 0.9
    assert abs(result.rate_active_hz / float(REFERENCE_LIF.rate(4.0)) - 1) < 0.1


def test_raster_figure(deletion_run):
    figure = raster_figure(deletion_run, 0)
    assert len(figure.axes) == 3
    assert len(figure.axes[0].collections[0].get_offsets()) > 0
    with pytest.raises(InvalidInput, match="`cue`"):
        raster_figure(deletion_run, deletion_run.n_cues)


def test_simulate_rejects_bad_input(poisson, equal_overlap_network):
    cues = make_cues(equal_overlap_network, "delete", 0.4, memories=[0], seed=1)
    with pytest.raises(InvalidType, match="`cues` must be a CueSet"):
        simulate_spiking(poisson, cues.x0, 1.0)
    with pytest.raises(InvalidInput, match="`target` must be one of"):
        simulate_spiking(poisson, cues, 1.0, target="cpp_standalone")
    with pytest.raises(InvalidInput, match="`tol` must be < 0.5"):
        simulate_spiking(poisson, cues, 1.0, tol=0.6)
    with pytest.raises(InvalidInput, match="`t_max` must be > 0"):
        simulate_spiking(poisson, cues, -1.0)


@pytest.mark.slow  # the first run compiles the code objects (tens of seconds; cached afterwards)
def test_the_cython_target_retrieves_like_numpy(poisson, equal_overlap_network):
    pytest.importorskip("Cython")
    cues = make_cues(equal_overlap_network, "delete", 0.4, seed=1)
    compiled = simulate_spiking(poisson, cues, 5.0, seed=2, target="cython")
    interpreted = simulate_spiking(poisson, cues, 5.0, seed=2, target="numpy")
    assert compiled.target == "cython" and compiled.success_rate >= 5 / 6 and interpreted.success_rate >= 5 / 6
    assert abs(compiled.rate_active_hz - interpreted.rate_active_hz) < 5.0
