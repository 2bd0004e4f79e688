"""The thread policy of the batched kernels (assocrate.dynamics.threads)."""

from __future__ import annotations

import os

import pytest
from threadpoolctl import threadpool_info

from assocrate.dynamics import blas_threads_for, threads


def blas_thread_counts() -> list[int]:
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    if not counts:
        pytest.skip("threadpoolctl sees no BLAS library")
    return counts


def test_small_problems_hold_blas_at_one_thread_and_restore_it():
    before = blas_thread_counts()
    with blas_threads_for(1000):
        assert all(count == 1 for count in blas_thread_counts())
    assert blas_thread_counts() == before


def test_large_problems_leave_blas_alone():
    before = blas_thread_counts()
    with blas_threads_for(1 << 19):
        assert blas_thread_counts() == before


def test_single_threaded_blas():
    with threads.single_threaded_blas():
        assert all(count == 1 for count in blas_thread_counts())


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


def test_one_threshold_serves_both_decisions(monkeypatch):
    monkeypatch.setattr(threads, "_THREAD_MIN_ENTRIES", 10)
    assert threads.block_workers(4, 10) == min(4, os.cpu_count() or 1)
    before = blas_thread_counts()
    with blas_threads_for(10):
        assert blas_thread_counts() == before
