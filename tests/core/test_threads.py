"""The BLAS-thread policy's ``with`` blocks: nested blocks keep one thread; the outermost restores the limits."""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_info

from assocrate.core import threads


def blas_thread_counts() -> list[int]:
    return [entry["num_threads"] for entry in threadpool_info() if entry["user_api"] == "blas"]


def test_nested_blocks_restore_the_limits_found_by_the_outermost():
    before = blas_thread_counts()
    with threads.single_threaded_blas():
        with threads.blas_threads_for(1000, 21, 21), threads.single_threaded_blas():
            assert all(count == 1 for count in blas_thread_counts())
        assert all(count == 1 for count in blas_thread_counts())
    assert blas_thread_counts() == before


def test_a_block_of_a_worker_thread_inside_one_of_the_main_thread():
    """Blocks count per thread: a worker's block neither lifts the main thread's limit nor keeps it."""
    before = blas_thread_counts()
    seen: dict[str, list[int]] = {}

    def worker() -> None:
        with threads.single_threaded_blas(), threads.single_threaded_blas():
            seen["worker"] = blas_thread_counts()

    with threads.single_threaded_blas():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(20)
        seen["main after the worker"] = blas_thread_counts()
    assert all(count == 1 for count in seen["worker"] + seen["main after the worker"])
    assert blas_thread_counts() == before


def test_an_exception_inside_a_block_restores_the_limits():
    before = blas_thread_counts()
    try:
        with threads.single_threaded_blas():
            raise KeyError("inside")
    except KeyError:
        pass
    assert blas_thread_counts() == before
