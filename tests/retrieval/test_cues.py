"""Cue makers, cue specs and cue sets (assocrate.retrieval.cues, theory.md §7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assocrate.core.patterns import random_patterns
from assocrate.retrieval import (
    CUE_KINDS,
    CueSet,
    add_noise,
    cue_rates,
    delete_active,
    flip,
    input_cue,
    make_cues,
    nonstored_cues,
    parse_cue,
)
from assocrate.retrieval.cues import concatenate_cues, rate_levels


def test_delete_active_removes_exactly_that_fraction():
    xi = random_patterns(1000, 5, 0.2, seed=0)
    cue = delete_active(xi, 0.4, seed=1)
    assert cue.shape == xi.shape and cue.dtype == bool
    assert np.all(cue <= xi)  # only active units are switched off
    np.testing.assert_array_equal(cue.sum(axis=0), xi.sum(axis=0) - np.round(0.4 * xi.sum(axis=0)))
    np.testing.assert_array_equal(cue, delete_active(xi, 0.4, seed=1))
    assert not np.array_equal(cue, delete_active(xi, 0.4, seed=2))
    np.testing.assert_array_equal(delete_active(xi, 0.0, seed=0), xi)
    assert not delete_active(xi, 1.0, seed=0).any()


def test_flip_changes_exactly_that_many_units():
    xi = random_patterns(500, 3, 0.2, seed=0)
    cue = flip(xi, 0.1, seed=3)
    np.testing.assert_array_equal((cue != xi).sum(axis=0), [50, 50, 50])
    assert flip(xi[:, 0], 0.1, seed=3).shape == (500,)


def test_add_noise_and_input_cue():
    x = add_noise(np.full((2000,), 0.5), 0.05, seed=0)
    assert x.std() == pytest.approx(0.05, rel=0.05)
    np.testing.assert_array_equal(add_noise(np.zeros(5), 0.0, seed=0), np.zeros(5))
    pulses = input_cue(np.array([[1, 0], [0, 1], [1, 1]]), 0.5, 2.0, start=1.0)
    np.testing.assert_array_equal(pulses.at(1.5), [[0.5, 0.0], [0.0, 0.5], [0.5, 0.5]])
    assert not pulses.at(3.0).any()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: delete_active(np.array([1, 0, 2]), 0.5), "`pattern` must be binary"),
        (lambda: delete_active(np.array([1, 0, 1]), 1.5), r"`fraction` must be in \[0, 1\]"),
        (lambda: flip(np.array([1, 0, 1]), -0.1), r"`fraction` must be in \[0, 1\]"),
        (lambda: add_noise(np.zeros(3), -1.0), "`sigma` must be >= 0"),
        (lambda: input_cue(np.array([1, 0]), 0.5, 0.0), "`duration` must be > 0"),
    ],
)
def test_cue_makers_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("delete:0.4", ("delete", 0.4, 1.0)), ("FLIP:0.1", ("flip", 0.1, 1.0)), ("noise:0.2", ("noise", 0.2, 1.0)),
     ("input:0.3", ("input", 0.3, 1.0)), ("input:0.3:2.5", ("input", 0.3, 2.5))],
)
def test_parse_cue(spec, expected):
    assert parse_cue(spec) == expected


@pytest.mark.parametrize("spec", ["delete", "delete:abc", "erase:0.4", "delete:1.5", "noise:-1", "input:0",
                                  "delete:0.4:2", "input:0.3:-1", ""])
def test_parse_cue_rejects_bad_specs(spec):
    with pytest.raises(ValueError, match="`cue`"):
        parse_cue(spec)


def test_make_cues_layout_and_kinds(random_network):
    net = random_network
    cues = make_cues(net, "delete", 0.4, trials=3, memories=[2, 5], seed=0)
    assert cues.n_cues == 6 and cues.cued.tolist() == [2, 2, 2, 5, 5, 5] and cues.spec == "delete:0.4"
    phi_a, phi_b = (float(net.activation.phi(v)) for v in (net.a, net.b))
    assert set(np.unique(cues.x0)) <= {phi_a, phi_b}
    for kind in CUE_KINDS:
        made = make_cues(net, kind, 0.2, seed=0)
        assert made.x0.shape == (1000, 14) and (made.u is not None) == (kind == "input")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        make_cues(net, "erase", 0.4)
    with pytest.raises(ValueError, match="`memories` must be in"):
        make_cues(net, "delete", 0.4, memories=[14])
    assert "CueSet" in repr(cues) and cues.summary() == "6 cues delete:0.4: 6 from 2 stored memories"
    assert make_cues(net, "input", 0.3, memories=[0]).summary() == "1 cue input:0.3: 1 from 1 stored memories, with an input pulse"


def test_cue_rates_rescale_binary_patterns(random_network):
    np.testing.assert_array_equal(cue_rates(random_network, random_network.patterns), random_network.memory_rates())
    with pytest.raises(ValueError, match="`binary` must have shape"):
        cue_rates(random_network, np.zeros(3))



def test_rate_levels_are_the_memory_rates(random_network):
    phi_a, phi_b = rate_levels(random_network)
    assert set(np.unique(random_network.memory_rates())) == {phi_a, phi_b}


def test_nonstored_cues_are_not_stored(random_network):
    cues = nonstored_cues(random_network, 5, seed=0)
    assert cues.cued.tolist() == [-1] * 5 and cues.kind == "nonstored" and cues.level == random_network.q
    assert cues.x0.shape == (1000, 5) and not cues.x0.flags.writeable


def test_concatenate_cues_keeps_the_order(random_network):
    first = make_cues(random_network, "delete", 0.2, memories=[1], trials=2, seed=0)
    second = make_cues(random_network, "delete", 0.6, memories=[4], seed=1)
    joined = concatenate_cues([first, second])
    assert isinstance(joined, CueSet) and joined.cued.tolist() == [1, 1, 4]
    np.testing.assert_array_equal(joined.x0, np.hstack([first.x0, second.x0]))
    assert joined.kind == "delete" and math.isnan(joined.level) and joined.u is None
