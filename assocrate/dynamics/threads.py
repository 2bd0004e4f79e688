"""The threads of the batched Euler–Maruyama step: when its row blocks get workers.

The BLAS-thread policy itself (one thread for every (P+1) x (P+1) decomposition and for products
below ``2^31`` flops) is :mod:`assocrate.core.threads`, re-exported here. The row-block workers
depend on the number of state entries ``N B`` of a step: below ``2^19`` entries the whole step
stays in the calling thread; above it, Euler–Maruyama spreads its row blocks over the cores, each
block calling BLAS single-threaded on its tiles' small products (one BLAS thread runs them at
about 54 GFLOP/s when the tile is in cache). At N = 10^5, P = 50, B = 32 a step takes about 18 ms of CPU
time without noise (22.5 ms with it), 9.3 ms (11.6 ms) on two cores.
"""

from __future__ import annotations

import os

from ..core.threads import blas_threads_for, single_threaded_blas

__all__ = ["blas_threads_for", "block_workers", "single_threaded_blas"]

# Below this many state entries per step, a step runs in the calling thread.
_THREAD_MIN_ENTRIES = 1 << 19


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
