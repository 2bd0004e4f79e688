"""The standard normal fills behind the Euler–Maruyama noise (float32: Box–Muller; float64: numpy's ziggurat)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from assocrate.dynamics._gaussian import BOX_MULLER_MAX, fill_standard_normal

DTYPES = [np.float32, np.float64]


def draws(dtype, size: int, seed: int = 0, bit_generator=np.random.SFC64) -> np.ndarray:
    out = np.full(size, np.nan, dtype=dtype)
    fill_standard_normal(np.random.Generator(bit_generator(seed)), out)
    return out


@pytest.mark.parametrize("bit_generator", [np.random.SFC64, np.random.PCG64, np.random.MT19937])
@pytest.mark.parametrize("dtype", DTYPES)
def test_draws_are_standard_normal(dtype, bit_generator):
    """Kolmogorov–Smirnov on 10^6 draws with a fixed seed: a wrong scale (e.g. variance 1/2) gives p ~ 0.

    MT19937's raw words carry 32 bits only; reading them as 64 would zero half the draws.
    """
    z = draws(dtype, 1_000_001, bit_generator=bit_generator).astype(np.float64)
    assert scipy.stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 5 / np.sqrt(z.size)  # five standard errors
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2 / z.size)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tails_have_the_normal_mass(dtype):
    """P(|z| > 4) = 6.33e-5: over 4e6 draws the count is Poisson(253); five standard deviations allowed."""
    z = draws(dtype, 4_000_000, seed=1)
    expected = z.size * 2 * scipy.stats.norm.sf(4.0)
    assert abs(np.count_nonzero(np.abs(z) > 4.0) - expected) < 5 * np.sqrt(expected)


def test_box_muller_pairs_are_independent():
    """The two halves of the float32 fill share u1 and u2; jointly they must be two independent normals.

    Chi-square of the 2-D histogram on 8 x 8 equiprobable cells (63 degrees of freedom), fixed seed;
    using one uniform for both radius and angle, or the sine for both halves, fails it at p ~ 0.
    """
    z = draws(np.float32, 2_000_000, seed=2).astype(np.float64)
    first, second = z[:1_000_000], z[1_000_000:]
    edges = scipy.stats.norm.ppf(np.linspace(0, 1, 9))
    counts, _, _ = np.histogram2d(first, second, bins=[edges, edges])
    assert scipy.stats.chisquare(counts.ravel()).pvalue > 1e-3
    assert abs(np.corrcoef(first**2, second**2)[0, 1]) < 5 / np.sqrt(first.size)


@given(size=st.integers(1, 300), rows=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_float32_fill_covers_every_entry_within_its_bound(size, rows, seed):
    out = np.full((rows, size), np.nan, dtype=np.float32)
    fill_standard_normal(np.random.Generator(np.random.SFC64(seed)), out)
    assert np.all(np.isfinite(out))
    assert np.max(np.abs(out)) <= BOX_MULLER_MAX


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_generator_state_same_draws(dtype):
    np.testing.assert_array_equal(draws(dtype, 1001, seed=3), draws(dtype, 1001, seed=3))
    assert not np.array_equal(draws(dtype, 1001, seed=3), draws(dtype, 1001, seed=4))


def test_bad_output_arrays_are_refused():
    generator = np.random.default_rng(0)
    with pytest.raises(ValueError, match="C-contiguous"):
        fill_standard_normal(generator, np.empty((4, 4), dtype=np.float32)[:, ::2])
    with pytest.raises(TypeError, match="float32 or float64; got dtype int64"):
        fill_standard_normal(generator, np.empty(4, dtype=np.int64))
