"""The thread policy: BLAS threads by product shape (assocrate.core.threads), row-block workers (dynamics.threads)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from assocrate.core import threads as core_threads
from assocrate.core.lowrank import reduced_eigenvalues, weighted_gram
from assocrate.dynamics import blas_threads_for, threads


def blas_thread_counts() -> list[int]:
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    if not counts:
        pytest.skip("threadpoolctl sees no BLAS library")
    return counts


def test_small_products_hold_blas_at_one_thread_and_restore_it():
    before = blas_thread_counts()
    with blas_threads_for(1000, 21, 32):  # 1.3e6 flops
        assert all(count == 1 for count in blas_thread_counts())
    assert blas_thread_counts() == before


def test_large_products_leave_blas_alone():
    before = blas_thread_counts()
    with blas_threads_for(10**6, 101, 32):  # 6.5e9 flops
        assert blas_thread_counts() == before


def test_the_threshold_is_on_the_flops_of_the_product():
    assert core_threads.product_flops(1 << 23, 128, 1) == core_threads.THREAD_MIN_FLOPS
    before = blas_thread_counts()
    with blas_threads_for(1 << 23, 128, 1):
        assert blas_thread_counts() == before
    with blas_threads_for(1 << 23, 127, 1):
        assert all(count == 1 for count in blas_thread_counts())


def test_single_threaded_blas_nests_and_restores():
    before = blas_thread_counts()
    with threads.single_threaded_blas():
        with threads.single_threaded_blas():
            assert all(count == 1 for count in blas_thread_counts())
        assert all(count == 1 for count in blas_thread_counts())
    assert blas_thread_counts() == before


def test_reduced_spectra_give_the_same_numbers_whatever_the_caller_holds():
    """The (P+1) x (P+1) eigenproblems always run on one thread: a caller's limit changes nothing."""
    rng = np.random.default_rng(0)
    U = rng.random((5000, 41))
    c = rng.standard_normal(41)
    gram = weighted_gram(U, rng.random(5000))
    free = reduced_eigenvalues(gram, c)
    with threads.single_threaded_blas():
        held = reduced_eigenvalues(gram, c)
    np.testing.assert_array_equal(free, held)


@pytest.mark.parametrize(
    ("n_blocks", "n_entries", "expected"),
    [
        (8, (1 << 19) - 1, 1),  # below the threshold: the calling thread only
        (8, 1 << 19, min(8, os.cpu_count() or 1)),  # one per core, at most one per block
        (1, 1 << 22, 1),
    ],
)
def test_block_workers(n_blocks, n_entries, expected):
    assert threads.block_workers(n_blocks, n_entries) == expected
