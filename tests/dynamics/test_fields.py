"""Inputs and vector fields of the rate and current forms (assocrate.dynamics.fields, theory.md §2)."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.patterns import random_patterns
from assocrate.dynamics import Pulses, pulse, vector_field
from assocrate.dynamics.fields import InputSource

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly
from .starts import cue_starts

# --- vector fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH], ids=["sigmoid", "tanh"])
def test_vector_field_matches_dense_weights(activation):
    network = design_quietly(random_patterns(150, 4, 0.2, seed=1), activation, 0.5, 1.2, q=0.2, r=0.2)
    W = network.dense_weights()
    X = np.random.default_rng(0).random((150, 3))
    u = np.linspace(-0.1, 0.1, 150)
    expected_rate = -X + activation.phi(W @ X + u[:, None])
    expected_current = -X + W @ activation.phi(X) + u[:, None]
    np.testing.assert_allclose(vector_field(network, X, u=u), expected_rate, atol=1e-13)
    np.testing.assert_allclose(vector_field(network, X, u=u, form="current"), expected_current, atol=1e-13)


def test_memories_are_equilibria_of_both_forms(equal_overlap_network):
    net = equal_overlap_network
    assert np.max(np.abs(vector_field(net, net.memory_rates()))) < 1e-12
    assert np.max(np.abs(vector_field(net, net.memory_currents(), form="current"))) < 1e-12


def test_current_form_is_the_rate_form_seen_through_w(small_network):
    """With constant u, h = W x + u gives tau h' = W (tau x') (theory.md §2)."""
    net = small_network
    x = cue_starts(net, 3)
    u = 0.05
    h = net.weights_matvec(x) + u
    np.testing.assert_allclose(
        vector_field(net, h, u=u, form="current"), net.weights_matvec(vector_field(net, x, u=u)), atol=1e-12
    )


def test_vector_field_float32_stays_float32(small_network):
    x = cue_starts(small_network, 4)
    f32 = vector_field(small_network, x.astype(np.float32))
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, vector_field(small_network, x), atol=2e-5)


def test_vector_field_tau_scales(small_network):
    x = cue_starts(small_network, 2)
    slow = design_quietly(small_network.patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2, tau=2.0)
    np.testing.assert_allclose(vector_field(slow, x), 0.5 * vector_field(small_network, x), atol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros(7)}, "`X` must have shape (200,)"),
        ({"X": np.full(200, np.nan)}, "`X` must be finite"),
        ({"X": np.zeros(200), "form": "voltage"}, "`form` must be one of"),
        ({"X": np.zeros(200), "u": np.zeros(3)}, "`u` must be None, a scalar or have shape"),
    ],
)
def test_vector_field_rejects_bad_input(small_network, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        vector_field(small_network, **kwargs)


# --- inputs --------------------------------------------------------------------------------------


def test_pulses_piecewise_values():
    p = Pulses(edges=[0.0, 1.0, 2.0], values=np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert p.n_pieces == 2
    np.testing.assert_array_equal(p.at(0.5), [1.0, 2.0])
    np.testing.assert_array_equal(p.at(1.0), [3.0, 4.0])
    np.testing.assert_array_equal(p.at(2.0), [0.0, 0.0])
    assert not p.values.flags.writeable
    assert "n_pieces=2" in repr(p)


@pytest.mark.parametrize(
    ("edges", "values", "message"),
    [
        ([0.0], [], "at least 2 times"),
        ([1.0, 0.0], [1.0], "strictly increasing"),
        ([0.0, 1.0], [1.0, 2.0], "one entry per piece"),
        ([0.0, 1.0], [np.nan], "finite"),
    ],
)
def test_pulses_reject_bad_input(edges, values, message):
    with pytest.raises(ValueError, match=message):
        Pulses(edges=edges, values=values)


def test_pulse_rejects_empty_interval():
    with pytest.raises(ValueError, match="`stop` must be > `start`"):
        pulse(1.0, 2.0, 2.0)


def test_input_source_serves_the_checked_input_in_the_states_dtype():
    """Scalars stay scalars (0 is None); an (N,) input is a column for a batch; (N, 1) is accepted too."""
    u = np.linspace(0.0, 1.0, 5)
    assert InputSource(0.0, 5, 3, np.dtype(np.float64)).value(0.0) is None
    scalar = InputSource(0.1, 5, 3, np.dtype(np.float32)).value(0.0)
    assert scalar.ndim == 0 and scalar.dtype == np.float32 and scalar == np.float32(0.1)
    for value in (u, u[:, None]):
        column = InputSource(value, 5, 3, np.dtype(np.float32)).value(0.0)
        assert column.shape == (5, 1) and column.dtype == np.float32 and column.flags.c_contiguous
        np.testing.assert_array_equal(column[:, 0], u.astype(np.float32))
    assert InputSource(u, 5, None, np.dtype(np.float64)).value(0.0).shape == (5,)
    timed = InputSource(lambda t: t * u, 5, 2, np.dtype(np.float64))
    np.testing.assert_array_equal(timed.value(2.0)[:, 0], 2.0 * u)
    pulsed = InputSource(pulse(u, 1.0, 2.0), 5, 2, np.dtype(np.float64))
    np.testing.assert_array_equal(pulsed.breakpoints, [1.0, 2.0])
    assert pulsed.value(0.5) is None and pulsed.value(1.5).shape == (5, 1)


@pytest.mark.parametrize(
    ("u", "error", "message"),
    [
        (np.zeros(3), ValueError, "`u` must be None, a scalar or have shape (5,) or (5, 2); got shape (3,)"),
        (np.zeros((5, 3)), ValueError, "`u` must be None, a scalar or have shape (5,) or (5, 2); got shape (5, 3)"),
        (np.full(5, np.inf), ValueError, "`u` must be finite"),
        (np.ones(5, dtype=complex), TypeError, "`u` must be a real number or a real array"),
        (lambda t: np.full(5, np.nan), ValueError, "`u(t)` must be finite"),
        (lambda t: np.zeros(4), ValueError, "`u(t)` must be None, a scalar or have shape"),
    ],
)
def test_input_source_rejects_bad_inputs_naming_them(u, error, message):
    escaped = message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(error, match=escaped):
        InputSource(u, 5, 2, np.dtype(np.float64)).value(0.0)


def test_vector_field_rejects_non_real_states(small_network):
    with pytest.raises(TypeError, match="`X` must be a real array"):
        vector_field(small_network, np.zeros(200, dtype=complex))
