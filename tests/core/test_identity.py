"""core.identity: whose equilibrium a state (or a box of states) is, in floats and exactly."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from assocrate.core.identity import identify_states, identity_verdict


def _box(rng, k):
    lower = rng.random(k)
    return lower, lower + 0.2 * rng.random(k)


@pytest.mark.parametrize("seed", range(5))
def test_the_bounds_enclose_every_state_of_the_box(seed):
    """Upper and lower bounds hold for states sampled in the box, for memories and the uniform line."""
    rng = np.random.default_rng(seed)
    k, P = 7, 3
    xi = rng.random((k, P)) < 0.4
    counts = rng.integers(1, 5, size=k)
    lower, upper = _box(rng, k)
    phi_a, phi_b = (0.01, 0.02), (0.97, 0.99)
    found = identify_states(xi, counts, lower, upper, phi_a, phi_b)
    for _ in range(200):
        x = lower + (upper - lower) * rng.random(k)
        a, b = phi_a[0] + (phi_a[1] - phi_a[0]) * rng.random(), phi_b[0] + (phi_b[1] - phi_b[0]) * rng.random()
        for nu in range(P):
            d = float(np.sum(counts * np.abs(x - np.where(xi[:, nu], b, a))))
            assert found.lower[nu] - 1e-12 <= d <= found.upper[nu] + 1e-12
        s_grid = np.linspace(-1, 2, 601)
        best = min(float(np.sum(counts * np.abs(x - s))) for s in s_grid)
        assert found.uniform_lower <= best + 1e-12


def test_floats_and_fractions_agree_and_a_state_is_its_memorys():
    xi = np.array([[1, 0], [0, 1], [0, 0], [1, 1]], dtype=bool)
    counts = np.array([3, 3, 10, 2])
    x = np.array([0.95, 0.1, 0.02, 0.9])
    as_float = identify_states(xi, counts, x, x, (0.0, 0.0), (1.0, 1.0))
    exact = np.array([Fraction(v) for v in x], dtype=object)
    as_fraction = identify_states(xi, np.array([Fraction(int(c)) for c in counts], dtype=object), exact, exact,
                                  (Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)))
    assert as_float.memory == as_fraction.memory == 0
    assert [float(u) for u in as_fraction.upper] == pytest.approx(list(as_float.upper))


def test_a_wide_box_or_a_uniform_state_is_nobodys():
    xi = np.array([[1, 0], [0, 1], [0, 0]], dtype=bool)
    counts = np.array([2, 2, 6])
    wide = identify_states(xi, counts, np.zeros(3), np.ones(3), (0.0, 0.0), (1.0, 1.0))
    assert wide.memory is None
    flat = np.full(3, 0.5)
    uniform = identify_states(xi, counts, flat, flat, (0.0, 0.0), (1.0, 1.0))
    assert uniform.memory is None and uniform.nearest == "uniform"


def test_the_verdict_names_both_memories():
    assert identity_verdict(1, 5) == "the equilibrium near memory 1 is memory 5's"
    assert "is not memory 2's" in identity_verdict(2, None)
