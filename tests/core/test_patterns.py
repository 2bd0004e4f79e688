"""Pattern ensembles: promised counts and overlaps, row types, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assocrate._validation import check_patterns
from assocrate.core.patterns import (
    correlated_patterns,
    equal_overlap_patterns,
    make_patterns,
    pattern_statistics,
    random_patterns,
    row_types,
)


@given(q=st.sampled_from([0.1, 0.125, 0.2, 0.25, 0.3, 0.4, 0.5]), n=st.integers(200, 3000))
def test_equal_overlap_counts(q, n):
    xi = equal_overlap_patterns(n, q)
    sizes = xi.sum(axis=0)
    overlaps = xi.T.astype(int) @ xi.astype(int)
    assert xi.shape[1] == int(np.floor(1 + 1 / q + 1e-9))
    assert np.all(sizes == sizes[0])
    off = overlaps[~np.eye(xi.shape[1], dtype=bool)]
    assert np.all(off == off[0])
    assert off[0] == int(np.floor(q * q * n + 1e-9))
    stats = pattern_statistics(xi)
    assert stats.is_exact_design


def test_equal_overlap_reference_types():
    types = row_types(equal_overlap_patterns(1000, 0.2))
    assert types.n_types == 7  # all-ones rows + the 6 unit rows of I_P
    assert sorted(types.counts.tolist()) == [40, 160, 160, 160, 160, 160, 160]


@given(
    n=st.integers(300, 2000),
    q=st.floats(0.05, 0.3),
    r=st.floats(0.05, 0.9),
    p=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_correlated_counts(n, q, r, p, seed):
    size = round(q * n)
    core = round(r * size)
    if size == 0 or core + p * (size - core) > n:
        with pytest.raises(ValueError, match="`n_units` must be >="):
            correlated_patterns(n, p, q, r, seed=seed)
        return
    xi = correlated_patterns(n, p, q, r, seed=seed)
    overlaps = xi.T.astype(int) @ xi.astype(int)
    assert np.all(np.diag(overlaps) == size)
    assert np.all(overlaps[~np.eye(p, dtype=bool)] == core)


@given(
    patterns=arrays(np.bool_, st.tuples(st.integers(1, 60), st.integers(1, 6))),
)
def test_row_types_reconstruct_patterns(patterns):
    types = row_types(patterns)
    assert np.array_equal(types.rows[types.index], patterns)
    assert types.counts.sum() == patterns.shape[0]
    assert len({tuple(row) for row in types.rows}) == types.n_types


def test_random_patterns_reproducible_and_compact():
    a = random_patterns(500, 4, 0.3, seed=7)
    b = random_patterns(500, 4, 0.3, seed=np.random.default_rng(7))
    assert a.dtype == np.bool_ and not a.flags.writeable
    assert np.array_equal(a, b)
    assert abs(a.mean() - 0.3) < 0.05  # 2000 Bernoulli(0.3) draws: std 0.01


def test_make_patterns_defaults():
    assert make_patterns("random", n_units=1000, q=0.2, seed=0).shape == (1000, 14)
    assert make_patterns("correlated", n_units=1000, q=0.2, r=0.4, seed=0).shape[1] == 7
    with pytest.raises(ValueError, match="`ensemble` must be one of"):
        make_patterns("letters", n_units=10, q=0.2)
    with pytest.raises(ValueError, match="`r` is required"):
        make_patterns("correlated", n_units=1000, q=0.2)


@pytest.mark.parametrize(
    ("patterns", "error", "match"),
    [
        (np.array([[0, 2], [1, 0]]), ValueError, "must be binary"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, "must be finite"),
        (np.zeros((0, 3)), ValueError, "must hold at least one unit"),
        (np.zeros(5), ValueError, "must be 2-D"),
        (np.array([["a", "b"]]), TypeError, "must be a real numeric or boolean"),
        (np.array([[1j, 0]]), TypeError, "must be a real numeric or boolean"),
    ],
)
def test_bad_patterns(patterns, error, match):
    with pytest.raises(error, match=f"`patterns` {match}"):
        check_patterns("patterns", patterns)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: random_patterns(10, 2, 1.5), "`q` must be in \\(0, 1\\); got 1.5"),
        (lambda: random_patterns(10, 0, 0.5), "`n_patterns` must be >= 1"),
        (lambda: correlated_patterns(100, 2, 0.2, 0.0), "`r` must be in \\(0, 1\\)"),
        (lambda: equal_overlap_patterns(10, 0.2), "too small"),
        (lambda: pattern_statistics(np.zeros((5, 2))), "has no active unit"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
