"""core.lowrank: the one reduced-eigenvalue kernel against dense numpy eigenvalues of ``D^1/2 U C U^T D^1/2``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.core.lowrank import (
    batched_max_reduced_eigenvalue,
    lowrank_matvec,
    range_factor,
    reduced_eigenvalues,
    reduced_spectrum,
    weighted_gram,
)


def random_operator(seed: int, n_units: int, m: int, n_dependent: int, n_dead: int):
    """U (N x m) with `n_dependent` columns copied from others, C diagonal, D >= 0 with `n_dead` zeros."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n_units, m))
    for target in range(m - 1, m - 1 - min(n_dependent, m - 1), -1):  # a combination of the columns before it
        U[:, target] = U[:, :target] @ rng.uniform(-1.0, 1.0, target)
    c = rng.uniform(-2.0, 2.0, m)
    d = rng.uniform(0.0, 1.0, n_units)
    d[rng.permutation(n_units)[:n_dead]] = 0.0
    return U, c, d


def dense_eigenvalues(U, c, d):
    root = np.sqrt(d)[:, None]
    return np.linalg.eigvalsh((root * U) @ np.diag(c) @ (root * U).T)


#: (N, U, c, d): N in [1, 30], m in [1, 8], up to 3 dependent columns of U, up to 10 zero slopes.
OPERATORS = st.builds(
    lambda seed, n_units, m, n_dependent, n_dead: (
        n_units,
        *random_operator(seed, n_units, m, n_dependent, min(n_dead, n_units)),
    ),
    st.integers(0, 2**31 - 1),
    st.integers(1, 30),
    st.integers(1, 8),
    st.integers(0, 3),
    st.integers(0, 10),
)


@settings(max_examples=60)
@given(OPERATORS)
def test_reduced_spectrum_equals_dense_eigenvalues(case):
    n_units, U, c, d = case
    dense = dense_eigenvalues(U, c, d)
    spectrum = reduced_spectrum(weighted_gram(U, d), c, n_units)
    scale = max(1.0, float(np.abs(dense).max()))
    assert spectrum.size == n_units
    np.testing.assert_allclose(spectrum.dense(), dense, rtol=0, atol=1e-10 * scale)


@settings(max_examples=60)
@given(OPERATORS)
def test_reduced_eigenvalues_are_the_nonzero_dense_eigenvalues(case):
    n_units, U, c, d = case
    gram = weighted_gram(U, d)
    reduced = reduced_eigenvalues(gram, c, max_rank=n_units)
    rank = np.linalg.matrix_rank(np.sqrt(d)[:, None] * U)
    assert reduced.size == rank  # the one rank rule agrees with numpy's SVD rank
    dense = dense_eigenvalues(U, c, d)
    scale = max(1.0, float(np.abs(dense).max()))
    # the N - rank dropped eigenvalues are zeros of the dense matrix
    merged = np.sort(np.concatenate([reduced, np.zeros(n_units - rank)]))
    np.testing.assert_allclose(merged, dense, rtol=0, atol=1e-10 * scale)


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6), st.integers(2, 12))
def test_batched_maximum_equals_one_by_one(seed, m, n_stack):
    rng = np.random.default_rng(seed)
    n_units = 20
    grams, cs, dense_max = [], [], []
    for i in range(n_stack):
        U, c, d = random_operator(int(rng.integers(2**31)), n_units, m, i % 2, i % 3)
        grams.append(weighted_gram(U, d))
        cs.append(c)
        dense_max.append(dense_eigenvalues(U, c, d)[-1])
    top = batched_max_reduced_eigenvalue(np.array(grams), np.array(cs))
    scale = max(1.0, float(np.abs(dense_max).max()))
    # m < N: the dense spectrum holds the bulk eigenvalue 0
    np.testing.assert_allclose(np.maximum(top, 0.0), dense_max, rtol=0, atol=1e-10 * scale)
    one_by_one = [max(float(reduced_eigenvalues(g, c)[-1]), 0.0) for g, c in zip(grams, cs)]
    np.testing.assert_allclose(np.maximum(top, 0.0), one_by_one, rtol=0, atol=1e-12 * scale)


@settings(max_examples=40)
@given(OPERATORS)
def test_range_factor_reproduces_the_gram_matrix(case):
    _, U, _, d = case
    m = U.shape[1]
    gram = weighted_gram(U, d)
    R, keep = range_factor(gram)
    assert keep.shape == (m,) and np.all(R[:, ~keep] == 0.0)
    np.testing.assert_allclose(R @ R.T, gram, rtol=0, atol=1e-12 * max(1.0, float(np.abs(gram).max())))


def test_max_rank_caps_the_kept_directions():
    gram = np.diag([1.0, 2.0, 3.0])
    assert reduced_eigenvalues(gram, np.ones(3), max_rank=2).tolist() == pytest.approx([2.0, 3.0])
    assert reduced_spectrum(gram, np.ones(3), 2).size == 2


def test_zero_gram_has_no_reduced_eigenvalue():
    assert reduced_eigenvalues(np.zeros((3, 3)), np.ones(3)).size == 0
    spectrum = reduced_spectrum(np.zeros((3, 3)), np.ones(3), 5)
    assert spectrum.values.tolist() == [0.0] and spectrum.size == 5


def test_lowrank_matvec_equals_dense_product():
    U, c, _ = random_operator(3, 12, 4, 0, 0)
    X = np.random.default_rng(4).standard_normal((12, 3))
    np.testing.assert_allclose(lowrank_matvec(U, c, X), (U * c) @ U.T @ X, atol=1e-12)
    np.testing.assert_allclose(lowrank_matvec(U, c, X[:, 0]), (U * c) @ U.T @ X[:, 0], atol=1e-12)


@settings(max_examples=60)
@given(
    st.integers(0, 2**31 - 1), st.integers(1, 40), st.integers(1, 9), st.booleans(), st.booleans(),
    st.sampled_from([np.float64, np.float32]),
)
def test_weighted_gram_is_the_weighted_sum_of_row_outer_products(seed, n_rows, m, negative, with_counts, dtype):
    """Both paths (symmetric rank-k update for weights >= 0, product otherwise) against a row-by-row sum."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((n_rows, m)).astype(dtype)
    d = rng.uniform(-1.0 if negative else 0.0, 1.0, n_rows)
    d[rng.random(n_rows) < 0.2] = 0.0  # zero slopes
    counts = rng.integers(1, 5, n_rows) if with_counts else None
    weights = d * (1 if counts is None else counts)
    expected = sum(w * np.outer(row, row) for w, row in zip(weights, U.astype(np.float64)))
    gram = weighted_gram(U, d, counts)
    assert gram.dtype == np.float64 and gram.shape == (m, m)
    assert np.array_equal(gram, gram.T)  # exactly symmetric
    scale = max(1.0, float((np.abs(weights)[:, None] * U.astype(np.float64) ** 2).sum()))
    np.testing.assert_allclose(gram, expected, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize("low", [0.0, -0.5])
def test_weighted_gram_sums_its_row_blocks(low):
    """More rows than one block (32768): the blocks' partial Gram matrices add up."""
    rng = np.random.default_rng(5)
    U = rng.standard_normal((70000, 3))
    d = rng.uniform(low, 1.0, 70000)
    expected = np.einsum("i,ij,ik->jk", d, U, U)
    np.testing.assert_allclose(weighted_gram(U, d), expected, rtol=0, atol=1e-12 * np.abs(d) @ (U**2).sum(axis=1))


@settings(max_examples=40)
@given(st.integers(0, 2**31 - 1), st.integers(1, 40), st.integers(1, 9))
def test_a_float32_gram_is_the_float32_rank_k_update(seed, n_units, m):
    """dtype float32 gives a float32 Gram matrix (ssyrk), exactly symmetric, equal to the float64 Gram
    of the same float32 numbers to float32 rounding: n_units terms, each off by a few 2^-24."""
    rng = np.random.default_rng(seed)
    U32 = rng.standard_normal((n_units, m)).astype(np.float32)
    d = rng.random(n_units)
    gram = weighted_gram(U32, d, dtype=np.float32)
    assert gram.dtype == np.float32
    np.testing.assert_array_equal(gram, gram.T)
    reference = weighted_gram(U32.astype(float), d.astype(np.float32).astype(float))
    magnitude = np.abs(U32.astype(float))
    scale = float((magnitude.T @ (d[:, None] * magnitude)).max())
    np.testing.assert_allclose(gram, reference, rtol=0, atol=4 * (n_units + 2) * 2.0**-24 * scale)
