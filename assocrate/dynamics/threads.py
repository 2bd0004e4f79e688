"""The thread policy of the batched kernels: when BLAS gets one thread and when row blocks get workers.

Both decisions depend on one size only, the number of state entries ``N B`` of a step: below
``2^19`` entries a skinny GEMM does not gain from threads (and on a busy machine OpenBLAS's
spinning threads make it 10-20x slower), so BLAS runs single-threaded and the whole step stays in
the calling thread; above it, Euler–Maruyama spreads its row blocks over the cores, each block
calling BLAS single-threaded.
"""

from __future__ import annotations

import contextlib
import os

from threadpoolctl import threadpool_limits

__all__ = ["blas_threads_for", "block_workers", "single_threaded_blas"]

# Below this many state entries per step, BLAS runs one thread and a step runs in the calling thread.
_THREAD_MIN_ENTRIES = 1 << 19


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """One BLAS thread, process-wide, for the duration of the ``with`` block (threadpoolctl).

    Euler–Maruyama holds it for a whole run: its kernel threads by row blocks itself.
    """
    return threadpool_limits(1, user_api="blas")


def blas_threads_for(n_entries: int) -> contextlib.AbstractContextManager:
    """One BLAS thread for small problems (below ``2^19`` entries), the default otherwise.

    Skinny GEMMs of a small batch do not gain from threads, and on a busy machine OpenBLAS's
    spinning threads make them 10-20x slower.

    Examples
    --------
    >>> from assocrate.dynamics import blas_threads_for
    >>> with blas_threads_for(1000):  # one BLAS thread inside
    ...     pass
    """
    if n_entries < _THREAD_MIN_ENTRIES:
        return single_threaded_blas()
    return contextlib.nullcontext()


def block_workers(n_blocks: int, n_entries: int) -> int:
    """Threads (the caller's included) that share `n_blocks` row blocks of `n_entries` state entries.

    One per core, at most one per block, for large steps (``n_entries >= 2^19``); 1 otherwise.

    Examples
    --------
    >>> block_workers(8, 1000)
    1
    """
    if n_entries >= _THREAD_MIN_ENTRIES:
        return min(n_blocks, os.cpu_count() or 1)
    return 1
