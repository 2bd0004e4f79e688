"""dale.realization: the shift c from row types against dense W_cov, and the signs of every block."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import assocrate.dale.realization as realization_module
from assocrate.core.patterns import random_patterns
from assocrate.dale import (
    dale_realization,
)
from assocrate.dale.realization import _min_pair_product

from ..reference import REFERENCE_SIGMOID, design_quietly
from .dense import (
    EPS,
    small_design,
)

# ----------------------------------------------------------------------------------------------
# The shift c and the signs
# ----------------------------------------------------------------------------------------------


def test_reference_shift_is_alpha(equal_overlap_network):
    """Equal-overlap set, q = 0.2 (P = 6, beta = q): the most negative products of shifted rows are
    e_k·e_l = e_k·1 = -2 beta(1-beta) + 4 beta^2 = -0.16 = -q(1-q), so c = alpha' q(1-q) = alpha.
    Tolerance 1e-12 relative: c is a 3-term float formula times alpha'."""
    dale = dale_realization(equal_overlap_network)
    net = equal_overlap_network
    assert dale.c == pytest.approx(net.alpha, rel=1e-12)
    assert dale.w_EI == pytest.approx(net.alpha - net.gamma, rel=1e-12)
    assert dale.w_EI > 0 and dale.tau_inhibitory == net.tau and dale.n_inhibitory == 1
    signs = dale.signs()
    assert signs.obeys_dale and abs(signs.min_W_EE) <= signs.tolerance
    assert signs.W_IE == 1 / net.n_units and signs.W_EI == -dale.w_EI


def test_positive_gamma_cannot_be_realized(positive_gamma_network):
    """gamma = 1.2525 > c = 0.8669: w_EI < 0. The message names the argument and values; the
    claim that W is then entrywise positive is checked densely (min W = (gamma - c)/N, 1e-12 rel)."""
    with pytest.raises(ValueError, match=r"`network` has gamma=1\.2525\d* > c=0\.8668\d* .* needs gamma <= c"):
        dale_realization(positive_gamma_network)
    net = positive_gamma_network
    W = net.dense_weights()
    W_cov = W - net.gamma / net.n_units
    c = -net.n_units * W_cov.min()
    assert net.gamma > c and W.min() == pytest.approx((net.gamma - c) / net.n_units, rel=1e-12)


@pytest.mark.parametrize("name", ["equal-overlap", "random", "correlated low gain", "slow-inhibition case"])
def test_shift_equals_dense_minimum(name):
    """c and the attaining pair from row types agree with the dense W_cov. Tolerance: the sign
    tolerance of DaleSigns, (P + 2) eps (alpha' P + c)/N, which bounds the rounding of either route."""
    network = small_design(name)
    dale = dale_realization(network, n_inhibitory=2)
    blocks = dale.dense_blocks()
    W_cov = network.dense_weights() - network.gamma / network.n_units
    signs = dale.signs()
    assert abs(dale.min_covariance - W_cov.min()) <= signs.tolerance
    assert abs(W_cov[dale.min_pair] - W_cov.min()) <= signs.tolerance
    assert blocks.EE.min() >= -signs.tolerance and abs(blocks.EE.min() - signs.min_W_EE) <= signs.tolerance
    assert abs(blocks.EE.max() - signs.max_W_EE) <= signs.tolerance
    assert np.all(blocks.IE == signs.W_IE) and np.all(blocks.EI == signs.W_EI) and np.all(blocks.II == 0)
    assert signs.obeys_dale


def _products(rows, beta):
    """Every (rows_s - beta)·(rows_t - beta) by the same float formula as the search (exact ints)."""
    rows = rows.astype(np.int64)
    ones = rows.sum(axis=1)
    return rows @ rows.T - beta * (ones[:, None] + ones[None, :]) + rows.shape[1] * beta * beta


@given(
    rows=hnp.arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 10))),
    beta=st.floats(0.01, 0.99),
)
def test_min_pair_product_equals_dense_minimum(rows, beta):
    """The pruned class-pair search returns exactly the minimum of the full k x k table (same float
    formula, so equality is exact), its argmin attains it, and the Gram of the shifted rows agrees
    within the dot-product rounding bound (P + 1) eps P."""
    value, s, t = _min_pair_product(rows, beta)
    table = _products(rows, beta)
    assert value == table.min() and table[s, t] == value
    shifted = rows - beta
    assert abs((shifted @ shifted.T).min() - value) <= (rows.shape[1] + 1) * EPS * rows.shape[1]


@pytest.mark.parametrize("seed", range(4))
def test_min_pair_product_by_small_blocks(seed, monkeypatch):
    """The blocked overlap search (blocks of one or a few rows, early exit at each class pair's floor)
    gives the same exact minimum as the full table."""
    monkeypatch.setattr(realization_module, "_OVERLAP_BLOCK_ENTRIES", 7)
    rng = np.random.default_rng(seed)
    rows = rng.random((60, 9)) < rng.uniform(0.1, 0.6)
    value, s, t = _min_pair_product(rows, 0.25)
    assert value == _products(rows, 0.25).min() == _products(rows, 0.25)[s, t]


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_units=st.integers(3, 40),
    n_patterns=st.integers(1, 6),
)
def test_random_designs_obey_dale(seed, n_units, n_patterns):
    """Random small designs (nominal q = r = 0.2): the realization obeys Dale's law and its smallest
    E->E weight is the dense one, within the stated sign tolerance."""
    patterns = random_patterns(n_units, n_patterns, 0.5, seed=seed)
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network)
    signs = dale.signs()
    EE = dale.dense_blocks().EE
    assert signs.obeys_dale and EE.min() >= -signs.tolerance
    assert abs(EE.min() - signs.min_W_EE) <= signs.tolerance and abs(EE.max() - signs.max_W_EE) <= signs.tolerance
